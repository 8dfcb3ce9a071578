import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Redis } from "ioredis";
import { createRun, getRun } from "@porter/db";
import { createLogger } from "@porter/logger";
import {
  BACKOFF_TYPE,
  CHUNK_JOB_NAME,
  chunkJobId,
  createImportQueue,
  createRedis,
  queueDepth,
  type ChunkJobData,
  type ImportQueue,
} from "@porter/queue";
import { createHttpSource, type Source } from "@porter/source";
import { createTestDatabase, createTestQueue, REDIS_URL, type TestDatabase, type TestQueue } from "@porter/testing";
import { enqueueRun } from "../src/enqueue-run.js";
import { allJobs, ledgerOf, OPTIONS } from "./enqueue-fixtures.js";
import { startListingServer, type ListingServer } from "./listing-server.js";

let db: TestDatabase;
let tq: TestQueue;
let connection: Redis;
let queue: ImportQueue;
let server: ListingServer;
let source: Source;
const logger = createLogger({ level: "silent", name: "enqueuer-test" });

// 7 distinct ids over 5 pages: an empty page with a cursor, "b" listed on two pages,
// "e" twice within one page, ids with spaces, slashes and unicode.
const PAGES = new Map([
  ["", { ids: ["a", "b", "c"], nextCursor: "c1" }],
  ["c1", { ids: [], nextCursor: "c 2/ü" }],
  ["c 2/ü", { ids: ["d", "b", "e", "e"], nextCursor: "c3" }],
  ["c3", { ids: ["f g/h", "日本"], nextCursor: "c4" }],
  ["c4", { ids: ["a"], nextCursor: null }],
]);
const DISTINCT = ["a", "b", "c", "d", "e", "f g/h", "日本"];

beforeAll(async () => {
  [db, server] = await Promise.all([createTestDatabase("porter_enqueue_run"), startListingServer(PAGES)]);
  tq = createTestQueue("porter_enqueue_run");
  connection = createRedis(REDIS_URL, { role: "producer" });
  queue = createImportQueue(connection, tq.prefix);
  source = createHttpSource({ url: server.url, connections: 2, maxPageBytes: 1024 * 1024 });
});

afterAll(async () => {
  await source?.close();
  await server?.close();
  await queue?.close();
  await connection?.quit();
  await tq?.drop();
  await db?.drop();
});

const deps = () => ({ pool: db.pool, queue, source, logger });

describe("enqueueRun", () => {
  let firstRunId: string;

  it("lists every page: one ledger row and one job per distinct id, job id = ledger id", async () => {
    const run = await createRun(db.pool, {});
    firstRunId = run.id;
    const done = await enqueueRun(deps(), run.id, OPTIONS);

    expect(done).toMatchObject({ id: run.id, status: "running", cursor: null, listed: DISTINCT.length });
    expect(done.listedAt).not.toBeNull();
    expect(await getRun(db.pool, run.id)).toEqual(done);

    // every page was read once, in order, with the page size
    expect(server.requests).toEqual([
      [null, 3],
      ["c1", 3],
      ["c 2/ü", 3],
      ["c3", 3],
      ["c4", 3],
    ]);

    const ledger = await ledgerOf(db.pool, run.id);
    expect(ledger.map((r) => r.legacy_id).sort()).toEqual([...DISTINCT].sort());
    expect(ledger.every((r) => r.status === "pending")).toBe(true);

    const jobs = await allJobs(queue);
    expect(jobs).toHaveLength(DISTINCT.length);
    expect(await queueDepth(queue)).toBe(DISTINCT.length);
    const byId = new Map(jobs.map((j) => [j.id, j]));
    for (const row of ledger) {
      const job = byId.get(row.id);
      expect(job, `job for ${row.legacy_id}`).toBeDefined();
      // The listing's updatedAt rides along, for the archive.
      expect(job?.data).toEqual({ runId: run.id, legacyId: row.legacy_id, updatedAt: "2024-01-01T00:00:00Z" });
      expect(job?.opts.attempts).toBe(OPTIONS.jobAttempts);
      expect(job?.opts.backoff).toEqual({ type: BACKOFF_TYPE });
    }
  });

  it("resuming a run whose listing restarts from the beginning adds no row and no job twice", async () => {
    // as after a crash before the last checkpoint: the run is listing again from the start
    await db.pool.query("UPDATE import_runs SET status = 'listing', cursor = NULL WHERE id = $1", [firstRunId]);
    const before = (await allJobs(queue)).map((j) => j.id).sort();

    const done = await enqueueRun(deps(), firstRunId, OPTIONS);
    expect(done).toMatchObject({ status: "running", cursor: null, listed: DISTINCT.length });
    expect(await ledgerOf(db.pool, firstRunId)).toHaveLength(DISTINCT.length);
    expect((await allJobs(queue)).map((j) => j.id).sort()).toEqual(before);
  });

  it("does nothing for a run that is no longer listing", async () => {
    const requests = server.requests.length;
    const run = await enqueueRun(deps(), firstRunId, OPTIONS);
    expect(run.status).toBe("running");
    expect(server.requests.length).toBe(requests);
  });

  it("skips ledger rows that are no longer pending when a page is listed again", async () => {
    const run = await createRun(db.pool, {});
    await db.pool.query(
      "INSERT INTO service_imports (run_id, legacy_id, legacy_key, status) VALUES ($1, 'a', sha256('a'), 'succeeded'), ($1, 'b', sha256('b'), 'failed')",
      [run.id],
    );
    await db.pool.query("UPDATE import_runs SET listed = 2 WHERE id = $1", [run.id]);
    const jobsBefore = (await allJobs(queue)).length;
    const done = await enqueueRun(deps(), run.id, OPTIONS);
    expect(done.listed).toBe(DISTINCT.length);
    const jobs = (await allJobs(queue)).filter((j) => j.data.runId === run.id);
    expect(jobs.map((j) => j.data.legacyId).sort()).toEqual(DISTINCT.filter((id) => id !== "a" && id !== "b").sort());
    expect((await allJobs(queue)).length).toBe(jobsBefore + DISTINCT.length - 2);
  });

  it("a fresh run over the same listing gets its own rows and jobs, one per distinct id, none duplicated", async () => {
    const jobsBefore = await allJobs(queue);
    const run = await createRun(db.pool, {});
    const done = await enqueueRun(deps(), run.id, OPTIONS);
    expect(done).toMatchObject({ status: "running", listed: DISTINCT.length, cursor: null });

    const ledger = await ledgerOf(db.pool, run.id);
    const jobs = await allJobs(queue);
    const mine = jobs.filter((j) => j.data.runId === run.id);
    expect(mine.map((j) => j.id).sort()).toEqual(ledger.map((r) => r.id).sort());
    expect(jobs).toHaveLength(jobsBefore.length + DISTINCT.length);
    // no job id twice, and no legacy id twice within one run
    expect(new Set(jobs.map((j) => j.id)).size).toBe(jobs.length);
    expect(new Set(mine.map((j) => j.data.legacyId)).size).toBe(DISTINCT.length);
  });

  it("a resumed run starts from its checkpoint cursor", async () => {
    const run = await createRun(db.pool, {});
    await db.pool.query("UPDATE import_runs SET cursor = 'c3' WHERE id = $1", [run.id]);
    const from = server.requests.length;
    const done = await enqueueRun(deps(), run.id, OPTIONS);
    expect(server.requests.slice(from)).toEqual([
      ["c3", 3],
      ["c4", 3],
    ]);
    expect(done.listed).toBe(3);
    expect((await ledgerOf(db.pool, run.id)).map((r) => r.legacy_id).sort()).toEqual(["a", "f g/h", "日本"].sort());
  });

  it("with JOB_DOCUMENTS 2: a page's new rows go in chunk jobs of two, each named after its first row; a resume adds none twice", async () => {
    const run = await createRun(db.pool, {});
    const chunked = { ...OPTIONS, jobDocuments: 2 };
    await enqueueRun(deps(), run.id, chunked);
    const ledger = await ledgerOf(db.pool, run.id);
    const chunks = (await queue.getJobs(["waiting"])).filter((j) => j.name === CHUNK_JOB_NAME && j.data.runId === run.id);
    // pages bring 3, 0, 2 (d, e: b is the run's already), 2 and 0 new ids: chunks of 2+1, 2 and 2
    expect(chunks.map((j) => (j.data as ChunkJobData).documents.length).sort()).toEqual([1, 2, 2, 2]);
    const held = chunks.flatMap((j) => (j.data as ChunkJobData).documents);
    expect(held.map((d) => d.id).sort()).toEqual(ledger.map((r) => r.id).sort());
    for (const job of chunks) {
      const docs = (job.data as ChunkJobData).documents;
      expect(job.id).toBe(chunkJobId(docs[0]!.id));
      expect(job.opts.attempts).toBe(OPTIONS.jobAttempts);
      for (const d of docs) expect(d.legacyId).toBe(ledger.find((r) => r.id === d.id)?.legacy_id);
    }
    expect(await queueDepth(queue)).toBeGreaterThanOrEqual(chunks.length);

    // Resumed from the start, as after a crash before the first checkpoint, and with the
    // first page's larger chunk lost, as if the crash came before its add: the rows of the
    // resumed listing's first page that have no job get one of their own; nothing else is added.
    const first = ledger.filter((r) => ["a", "b", "c"].includes(r.legacy_id));
    const lost = chunks.find((j) => (j.data as ChunkJobData).documents.length === 2 && first.some((r) => r.id === (j.data as ChunkJobData).documents[0]!.id))!;
    await lost.remove();
    await db.pool.query("UPDATE import_runs SET status = 'listing', cursor = NULL WHERE id = $1", [run.id]);
    await enqueueRun(deps(), run.id, chunked);
    const again = (await queue.getJobs(["waiting"])).filter((j) => j.data.runId === run.id);
    const lostIds = (lost.data as ChunkJobData).documents.map((d) => d.id);
    expect(again.map((j) => j.id).sort()).toEqual([...chunks.filter((j) => j !== lost).map((j) => j.id), ...lostIds].sort());
    for (const id of lostIds) expect(again.find((j) => j.id === id)?.name).toBe("import");
    await Promise.all(again.map((j) => j.remove()));
  });

  it("throws for a run that does not exist", async () => {
    await expect(enqueueRun(deps(), "00000000-0000-4000-8000-000000000000", OPTIONS)).rejects.toThrow(/does not exist/);
  });
});
