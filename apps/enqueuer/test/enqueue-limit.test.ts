import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Redis } from "ioredis";
import { createRun } from "@porter/db";
import { createLogger } from "@porter/logger";
import { createImportQueue, createRedis, type ImportQueue } from "@porter/queue";
import { createHttpSource, type Source } from "@porter/source";
import { createTestDatabase, createTestQueue, REDIS_URL, type TestDatabase, type TestQueue } from "@porter/testing";
import { enqueueRun } from "../src/enqueue-run.js";
import { allJobs, ledgerOf, OPTIONS } from "./enqueue-fixtures.js";
import { startListingServer, type ListingServer, type ListingPage } from "./listing-server.js";

let db: TestDatabase;
let tq: TestQueue;
let connection: Redis;
let queue: ImportQueue;
const servers: ListingServer[] = [];
const sources: Source[] = [];
const logger = createLogger({ level: "silent", name: "enqueuer-test" });

beforeAll(async () => {
  db = await createTestDatabase("porter_enqueue_limit");
  tq = createTestQueue("porter_enqueue_limit");
  connection = createRedis(REDIS_URL, { role: "producer" });
  queue = createImportQueue(connection, tq.prefix);
});

afterAll(async () => {
  await Promise.allSettled(sources.map((s) => s.close()));
  await Promise.allSettled(servers.map((s) => s.close()));
  await queue?.close();
  await connection?.quit();
  await tq?.drop();
  await db?.drop();
});

async function listingOf(pages: [string, ListingPage][]): Promise<{ server: ListingServer; source: Source }> {
  const server = await startListingServer(new Map(pages));
  const source = createHttpSource({ url: server.url, connections: 1, maxPageBytes: 1024 * 1024 });
  servers.push(server);
  sources.push(source);
  return { server, source };
}

async function runWithLimit(source: Source, limit: number) {
  const run = await createRun(db.pool, { limit });
  const done = await enqueueRun({ pool: db.pool, queue, source, logger }, run.id, { ...OPTIONS, limit });
  const ledger = await ledgerOf(db.pool, run.id);
  const jobs = (await allJobs(queue)).filter((j) => j.data.runId === run.id);
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
