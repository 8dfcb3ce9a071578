import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRun } from "@porter/db";
import { createLogger } from "@porter/logger";
import type { Source } from "@porter/source";
import { enqueueRun } from "../src/enqueue-run.js";
import { allJobs, ledgerOf, openEnqueueHarness, OPTIONS, type EnqueueHarness } from "./enqueue-fixtures.js";
import type { ListingPage, ListingServer } from "./listing-server.js";

let h: EnqueueHarness;
const logger = createLogger({ level: "silent", name: "enqueuer-test" });

beforeAll(async () => {
  h = await openEnqueueHarness("porter_enqueue_limit");
});

afterAll(async () => {
  await h?.close();
});

function listingOf(pages: [string, ListingPage][]): Promise<{ server: ListingServer; source: Source }> {
  return h.listing(new Map(pages));
}

async function runWithLimit(source: Source, limit: number) {
  const run = await createRun(h.db.pool, { limit });
  const done = await enqueueRun({ pool: h.db.pool, queue: h.queue, source, logger }, run.id, { ...OPTIONS, limit });
  const ledger = await ledgerOf(h.db.pool, run.id);
  const jobs = (await allJobs(h.queue)).filter((j) => j.data.runId === run.id);
  return { done, ledger, jobs };
}

const PAGES: [string, ListingPage][] = [
  ["", { ids: ["a", "b", "c"], nextCursor: "p2" }],
  ["p2", { ids: [], nextCursor: "p3" }],
  ["p3", { ids: ["d", "e", "e", "f"], nextCursor: "p4" }],
  ["p4", { ids: ["g", "h"], nextCursor: null }],
];

describe("enqueueRun with a limit", () => {
  it.each([1, 2, 3, 4, 5, 6, 8])("stops at exactly %i distinct documents", async (limit) => {
    const { server, source } = await listingOf(PAGES);
    const { done, ledger, jobs } = await runWithLimit(source, limit);
    const expected = ["a", "b", "c", "d", "e", "f", "g", "h"].slice(0, limit);
    expect(done).toMatchObject({ status: "running", cursor: null, listed: limit });
    expect(ledger.map((r) => r.legacy_id).sort()).toEqual(expected);
    expect(jobs.map((j) => j.id).sort()).toEqual(ledger.map((r) => r.id).sort());
    // it stops listing once it has enough: no page after the one that filled the limit
    const lastPage = limit <= 3 ? 1 : limit <= 6 ? 3 : 4;
    expect(server.requests).toHaveLength(lastPage);
  });

  it("a limit above the corpus lists everything", async () => {
    const { source } = await listingOf(PAGES);
    const { done, ledger } = await runWithLimit(source, 100);
    expect(done).toMatchObject({ status: "running", cursor: null, listed: 8 });
    expect(ledger).toHaveLength(8);
  });

  // KNOWN BUG (apps/enqueuer/src/enqueue-run.ts): the page is cut to `limit - listed` ids
  // BEFORE the ids the run already has are set aside, so an old id at the front of the
  // last page takes a new id's place and the run ends short of its limit.
  // Flip `it.fails` to `it` once only new ids count against the limit.
  it("an id listed again at the front of the last page does not take a new id's place", async () => {
    const { source } = await listingOf([
      ["", { ids: ["a", "b", "c"], nextCursor: "p2" }],
      ["p2", { ids: ["b", "d", "e"], nextCursor: null }],
    ]);
    const { done, ledger } = await runWithLimit(source, 4);
    expect(ledger.map((r) => r.legacy_id).sort()).toEqual(["a", "b", "c", "d"]);
    expect(done.listed).toBe(4);
  });
});
