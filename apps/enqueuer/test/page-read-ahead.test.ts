import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRun, getRun } from "@porter/db";
import { createLogger } from "@porter/logger";
import { waitFor } from "@porter/testing";
import { enqueueRun } from "../src/enqueue-run.js";
import { ledgerOf, openEnqueueHarness, OPTIONS, type EnqueueHarness } from "./enqueue-fixtures.js";
import type { ListingPage } from "./listing-server.js";

let h: EnqueueHarness;
const logger = createLogger({ level: "silent", name: "enqueuer-test" });

beforeAll(async () => {
  h = await openEnqueueHarness("porter_page_read_ahead");
});

afterAll(async () => {
  await h?.close();
});

const PAGES: [string, ListingPage][] = [
  ["", { ids: ["a", "b"], nextCursor: "p2" }],
  ["p2", { ids: ["c", "d"], nextCursor: "p3" }],
  ["p3", { ids: ["e"], nextCursor: null }],
];

describe("the listing reads one page ahead", () => {
  it("asks for the next page while the ledger is still writing this one, and for each page once", async () => {
    const { server, source } = await h.listing(new Map(PAGES));
    const run = await createRun(h.db.pool, {});
    // Another transaction holds the run's row: the page write (which locks it first) waits.
    const holder = new pg.Client({ connectionString: h.db.url });
    await holder.connect();
    await holder.query("BEGIN");
    await holder.query("SELECT 1 FROM import_runs WHERE id = $1 FOR UPDATE", [run.id]);
    const listing = enqueueRun({ pool: h.db.pool, queue: h.queue, source, logger }, run.id, OPTIONS);
    try {
      await waitFor("the second page asked for while the first is not yet written", () =>
        server.requests.some(([cursor]) => cursor === "p2") ? true : undefined,
      );
      expect(await ledgerOf(h.db.pool, run.id)).toEqual([]);
      // One page ahead, no more.
      expect(server.requests.map(([cursor]) => cursor)).toEqual([null, "p2"]);
    } finally {
      await holder.query("ROLLBACK");
      await holder.end();
    }
    const done = await listing;
    expect(done).toMatchObject({ status: "running", cursor: null, listed: 5 });
    expect((await ledgerOf(h.db.pool, run.id)).map((r) => r.legacy_id).sort()).toEqual(["a", "b", "c", "d", "e"]);
    expect(server.requests.map(([cursor]) => cursor)).toEqual([null, "p2", "p3"]);
  });

  it("a page read ahead that fails fails the listing when its turn comes: the page before it is written and checkpointed", async () => {
    const { source } = await h.listing(
      new Map<string, ListingPage>([
        ["", { ids: ["a", "b"], nextCursor: "gone" }],
        // "gone" is no page: the server answers 400, a permanent failure
      ]),
    );
    const run = await createRun(h.db.pool, {});
    await expect(enqueueRun({ pool: h.db.pool, queue: h.queue, source, logger }, run.id, OPTIONS)).rejects.toThrow(/400/);
    expect((await ledgerOf(h.db.pool, run.id)).map((r) => r.legacy_id).sort()).toEqual(["a", "b"]);
    expect(await getRun(h.db.pool, run.id)).toMatchObject({ status: "listing", cursor: "gone", listed: 2 });
  });
});
