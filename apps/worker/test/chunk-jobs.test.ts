import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Job } from "bullmq";
import type { Redis } from "ioredis";
import { loadConfig } from "@porter/config";
import { cancelRun, checkpointListing, countByStatus, createRun, recordListedPage } from "@porter/db";
import { createLogger } from "@porter/logger";
import {
  chunkJobId,
  createImportQueue,
  createRedis,
  firstAttemptJobs,
  jobPresence,
  type ChunkJobData,
  type ImportQueue,
  type LedgerJob,
  type QueueJobData,
} from "@porter/queue";
import { createHttpSource, type Source } from "@porter/source";
import { createTestDatabase, createTestQueue, REDIS_URL, sampleDocument, waitFor, type TestDatabase, type TestQueue } from "@porter/testing";
import { createImportWorker } from "../src/create-worker.js";
import { handOutChunk } from "../src/hand-out-chunk.js";
import { Reconciler } from "../src/reconciler.js";
import type { AttemptObserver } from "../src/attempt-observer.js";
import { createWorkerMetrics } from "../src/metrics.js";
import { createImportProcessor } from "../src/process-import.js";
import { ok, sequence, startLegacyServer, status, type LegacyServer, type Reply } from "./legacy-server.js";

const ATTEMPTS = 3;
const logger = createLogger({ level: "silent", name: "chunk-test" });

let db: TestDatabase;
let tq: TestQueue;
let server: LegacyServer;
let producer: Redis;
let queue: ImportQueue;
let source: Source;

beforeAll(async () => {
  [db, server] = await Promise.all([createTestDatabase("porter_chunk_jobs"), startLegacyServer()]);
  tq = createTestQueue("porter_chunk_jobs");
  producer = createRedis(REDIS_URL, { role: "producer" });
  queue = createImportQueue(producer, tq.prefix);
  source = createHttpSource({ url: server.url, connections: 4, maxPageBytes: 1024 * 1024 });
});

afterAll(async () => {
  await source?.close();
  await server?.close();
  await queue?.close();
  await producer?.quit();
  await tq?.drop();
  await db?.drop();
});

async function listed(ids: string[]): Promise<{ runId: string; rows: LedgerJob[] }> {
  const run = await createRun(db.pool, { test: "chunk-jobs" });
  const { rows } = await recordListedPage(db.pool, run.id, ids);
  await checkpointListing(db.pool, run.id, null);
  return { runId: run.id, rows: rows.map((r) => ({ id: r.id, runId: run.id, legacyId: r.legacyId, updatedAt: r.updatedAt })) };
}

interface Row {
  legacy_id: string;
  status: string;
  attempts: number;
  error_kind: string | null;
}

async function ledgerRows(runId: string): Promise<Map<string, Row>> {
  const { rows } = await db.pool.query("SELECT legacy_id, status, attempts, error_kind FROM service_imports WHERE run_id = $1", [runId]);
  return new Map((rows as Row[]).map((r) => [r.legacy_id, r]));
}

/** A run of `ids` whose documents wait in one chunk job, as the enqueuer adds them. */
async function queuedChunk(ids: string[]): Promise<{ runId: string; rows: LedgerJob[]; added: Job<QueueJobData, void, string> }> {
  const { runId, rows } = await listed(ids);
  const [job] = firstAttemptJobs(runId, rows, 10, { attempts: ATTEMPTS });
  await queue.addBulk([job!]);
  const added = (await queue.getJob(chunkJobId(rows[0]!.id))) as Job<QueueJobData, void, string>;
  return { runId, rows, added };
}

/** The config of a worker (and its reconciler) on this file's queue, database and server, with `extra`. */
function workerConfig(extra: Record<string, string>) {
  return loadConfig({
    REDIS_URL,
    DATABASE_URL: db.url,
    LEGACY_URL: server.url,
    QUEUE_PREFIX: tq.prefix,
    JOB_TIMEOUT_MS: "2000",
    JOB_ATTEMPTS: String(ATTEMPTS),
    BACKOFF_BASE_MS: "50",
    LOG_LEVEL: "silent",
    ...extra,
  });
}

/** A processor that takes chunk jobs, as the worker builds it, with this backoff, drain check and observer. */
function chunkProcessor(backoffBaseMs: number, options: { draining?: () => boolean; observer?: AttemptObserver } = {}) {
  return createImportProcessor({
    pool: db.pool,
    source,
    logger,
    jobTimeoutMs: 2_000,
    observer: options.observer,
    chunks: { queue, jobAttempts: ATTEMPTS, backoffBaseMs, draining: options.draining ?? (() => false) },
  });
}

describe("chunk jobs", () => {
  it("attempt each document once; a transient failure goes on in a job of its own, counting on; a permanent one fails alone", async () => {
    const plain = ["c-1", "c 2/ü", "c-3"];
    for (const id of plain) server.replies.set(id, ok(sampleDocument(id)));
    server.replies.set("c-rate", sequence(status(429, { "retry-after": "1" }), ok(sampleDocument("c-rate"))));
    server.replies.set("c-flaky", sequence(status(500), status(502), ok(sampleDocument("c-flaky"))));
    server.replies.set("c-down", status(503));
    server.replies.set("c-gone", status(404));
    const ids = [...plain, "c-rate", "c-flaky", "c-down", "c-gone"];
    const { runId, rows } = await listed(ids);
    const jobs = firstAttemptJobs(runId, rows, 10, { attempts: ATTEMPTS });
    expect(jobs).toHaveLength(1);
    await queue.addBulk(jobs);
    const ledgerId = new Map(rows.map((r) => [r.legacyId, r.id]));

    const config = workerConfig({ WORKER_CONCURRENCY: "4" });
    const connection = createRedis(REDIS_URL, { role: "worker" });
    const worker = createImportWorker({ config, logger, connection, pool: db.pool, source });
    const running = worker.run();
    try {
      const final = await waitFor(
        "every document to finish",
        async () => {
          const ledger = await ledgerRows(runId);
          return [...ledger.values()].every((r) => r.status === "succeeded" || r.status === "failed") ? ledger : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 50 },
      );
      for (const id of plain) expect(final.get(id)).toMatchObject({ status: "succeeded", attempts: 1, error_kind: null });
      expect(final.get("c-rate")).toMatchObject({ status: "succeeded", attempts: 2 });
      expect(final.get("c-flaky")).toMatchObject({ status: "succeeded", attempts: 3 });
      expect(final.get("c-down")).toMatchObject({ status: "failed", attempts: ATTEMPTS, error_kind: "http_5xx" });
      expect(final.get("c-gone")).toMatchObject({ status: "failed", attempts: 1, error_kind: "not_found" });
      // JOB_ATTEMPTS requests in all, the chunk's first one included; a 404 once; the 429's wait honoured
      expect(server.requests.get("c-down")).toHaveLength(ATTEMPTS);
      expect(server.requests.get("c-flaky")).toHaveLength(3);
      expect(server.requests.get("c-gone")).toHaveLength(1);
      for (const id of plain) expect(server.requests.get(id)).toHaveLength(1);
      const rate = server.requests.get("c-rate") ?? [];
      expect((rate[1] as number) - (rate[0] as number)).toBeGreaterThanOrEqual(1_000);

      // The chunk is gone once done; the document that failed for good after retries keeps its own failed job.
      await waitFor("BullMQ to settle", async () => {
        const counts = await queue.getJobCounts("waiting", "active", "delayed", "failed");
        return counts.failed === 1 && counts.waiting === 0 && counts.active === 0 && counts.delayed === 0 ? counts : undefined;
      });
      expect(await queue.getJob(chunkJobId(rows[0]!.id))).toBeUndefined();
      const down = await queue.getJob(ledgerId.get("c-down") as string);
      expect(down?.data).toMatchObject({ runId, legacyId: "c-down", priorAttempts: 1 });
      expect(down?.attemptsMade).toBe(ATTEMPTS - 1);
      expect(await countByStatus(db.pool, runId)).toMatchObject({ listed: ids.length, succeeded: 5, failed: 2, pending: 0 });
    } finally {
      await worker.close();
      await running;
      await connection.quit();
    }
  });

  it("a chunk that starts again leaves out the documents already attempted", async () => {
    const ids = ["again-1", "again-2", "again-3"];
    server.replies.set("again-1", ok(sampleDocument("again-1")));
    server.replies.set("again-2", status(404));
    server.replies.set("again-3", status(500));
    const { runId, rows, added } = await queuedChunk(ids);
    const processor = chunkProcessor(60_000);
    await processor(added);
    // As after a worker died holding it: BullMQ counts the chunk's second start.
    await producer.hincrby(queue.toKey(added.id as string), "ats", 2);
    const restarted = (await queue.getJob(added.id as string)) as Job<QueueJobData, void, string>;
    expect(restarted.attemptsStarted).toBe(2);
    await processor(restarted);
    for (const id of ids) expect(server.requests.get(id)).toHaveLength(1);
    const ledger = await ledgerRows(runId);
    expect(ledger.get("again-1")).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(ledger.get("again-2")).toMatchObject({ status: "failed", attempts: 1 });
    expect(ledger.get("again-3")).toMatchObject({ status: "pending", attempts: 1, error_kind: "http_5xx" });
    // the retry waits out its backoff in the delayed set, and is found there by the reconciler
    const flaky = rows.find((r) => r.legacyId === "again-3")!.id;
    const retry = await queue.getJob(flaky);
    expect(await retry?.getState()).toBe("delayed");
    expect((await jobPresence(queue, producer, [flaky])).get(flaky)).toBe("present");
    await queue.remove(flaky);
  });

  it("a document whose retry job was lost is revived with the attempts it has left, its count going on", async () => {
    server.replies.set("lost-retry", status(503));
    const { runId, rows, added } = await queuedChunk(["lost-retry"]);
    await chunkProcessor(60_000)(added);
    const id = rows[0]!.id;
    expect((await ledgerRows(runId)).get("lost-retry")).toMatchObject({ status: "pending", attempts: 1 });
    // Redis loses the retry job, and the chunk is done.
    await queue.remove(id);
    await queue.remove(added.id as string);
    const config = workerConfig({ RECONCILE_GRACE_MS: "0" });
    const reconciler = new Reconciler({ config, logger, pool: db.pool });
    try {
      expect(await reconciler.tick()).toMatchObject({ leader: true, revived: 1 });
    } finally {
      await reconciler.stop();
    }
    const revived = await queue.getJob(id);
    expect(revived?.data).toMatchObject({ runId, legacyId: "lost-retry", priorAttempts: 1 });
    expect(revived?.opts.attempts).toBe(ATTEMPTS - 1);

    const connection = createRedis(REDIS_URL, { role: "worker" });
    const worker = createImportWorker({ config, logger, connection, pool: db.pool, source });
    const running = worker.run();
    try {
      const row = await waitFor("the revived document to fail for good", async () => {
        const r = (await ledgerRows(runId)).get("lost-retry");
        return r?.status === "failed" ? r : undefined;
      });
      // JOB_ATTEMPTS in all: the chunk's, then the two the revived job had left.
      expect(row).toMatchObject({ attempts: ATTEMPTS, error_kind: "http_5xx" });
      expect(server.requests.get("lost-retry")).toHaveLength(ATTEMPTS);
    } finally {
      await worker.close();
      await running;
      await connection.quit();
    }
  });

  it("a chunk of a run cancelled meanwhile stops at the first document the ledger refuses: no more fetches", async () => {
    const ids = ["stop-1", "stop-2", "stop-3", "stop-4", "stop-5"];
    for (const id of ids) server.replies.set(id, ok(sampleDocument(id)));
    const { runId, added } = await queuedChunk(ids);
    // As when `porter cancel` came while the chunk was active: its rows are cancelled, the job itself stays.
    expect(await cancelRun(db.pool, runId)).toEqual({ was: "running", rows: ids.length });
    const metrics = createWorkerMetrics({ queue, logger });
    const processor = chunkProcessor(50, { observer: metrics.observer });
    await processor(added);
    const fetched = ids.reduce((n, id) => n + (server.requests.get(id)?.length ?? 0), 0);
    expect(fetched).toBe(1);
    expect([...(await ledgerRows(runId)).values()].map((r) => r.status)).toEqual(ids.map(() => "cancelled"));
    // The refused document is counted as refused, not as a success.
    const finished = (await metrics.registry.getSingleMetric("porter_documents_finished_total")?.get())?.values ?? [];
    expect(finished.map((v) => [v.labels.status, v.value])).toEqual([["refused", 1]]);
  });

  it("a chunk goes on past one refused row when the rest are still pending", async () => {
    const ids = ["past-1", "past-2", "past-3", "past-4"];
    for (const id of ids) server.replies.set(id, ok(sampleDocument(id)));
    const { runId, added } = await queuedChunk(ids);
    await db.pool.query("UPDATE service_imports SET status = 'cancelled' WHERE run_id = $1 AND legacy_id = 'past-2'", [runId]);
    const processor = chunkProcessor(50);
    await processor(added);
    for (const id of ids) expect(server.requests.get(id)).toHaveLength(1);
    const ledger = await ledgerRows(runId);
    expect(ids.map((id) => ledger.get(id)?.status)).toEqual(["succeeded", "cancelled", "succeeded", "succeeded"]);
  });

  it("a closing worker's chunk stops after its current document and hands the rest back", async () => {
    const ids = ["back-1", "back-2", "back-3", "back-4"];
    for (const id of ids) server.replies.set(id, ok(sampleDocument(id)));
    const { runId, rows, added } = await queuedChunk(ids);
    // Before the chunk starts, its documents are present in Redis through it.
    const before = await jobPresence(queue, producer, rows.map((r) => r.id));
    expect([...before.values()]).toEqual(["present", "present", "present", "present"]);
    let closing = false;
    const processor = chunkProcessor(50, { draining: () => closing });
    const fetch = source.fetchPage.bind(source);
    source.fetchPage = async (...args) => {
      closing = true; // the signal comes while the first document is in flight
      return fetch(...args);
    };
    try {
      await processor(added);
    } finally {
      source.fetchPage = fetch;
    }
    // In the chunk's order: the first document is done, the others untouched and in a chunk of their own.
    const order = rows.map((r) => r.legacyId);
    expect(server.requests.get(order[0]!)).toHaveLength(1);
    for (const id of order.slice(1)) expect(server.requests.get(id)).toBeUndefined();
    const rest = await queue.getJob(chunkJobId(rows[1]!.id));
    expect((rest?.data as ChunkJobData).documents.map((d) => d.legacyId)).toEqual(order.slice(1));
    expect((await ledgerRows(runId)).get(order[0]!)).toMatchObject({ status: "succeeded" });
    await queue.remove(added.id as string);
    await queue.remove(rest?.id as string);
  });

  it("a chunk whose lock another worker took stops after its current document; the next holder does the rest, each fetched once", async () => {
    const ids = ["lock-1", "lock-2", "lock-3", "lock-4"];
    const STOLEN_FOR_MS = 1_500;
    let stolenAt = 0;
    const slow = (id: string): Reply => (res, n) => setTimeout(() => ok(sampleDocument(id))(res, n), 300);
    const { runId, rows, added } = await queuedChunk(ids);
    const lockKey = `${queue.toKey(added.id as string)}:lock`;
    // While its first document is in flight, the chunk's lock passes to another worker
    // (its worker's event loop stalled past the lock, say); that one then dies.
    for (const id of ids) {
      server.replies.set(id, (res, n) => {
        if (stolenAt !== 0) return slow(id)(res, n);
        stolenAt = -1;
        void producer.set(lockKey, "another-worker", "PX", STOLEN_FOR_MS).then(() => {
          stolenAt = Date.now();
          slow(id)(res, n);
        });
      });
    }
    // The earlier tests' workers checked for stalled jobs at 30 s intervals, and the queue's
    // marker of the last check would hold this worker's first checks back that long.
    await producer.del(queue.toKey("stalled-check"));
    const config = workerConfig({ WORKER_CONCURRENCY: "1", STALLED_INTERVAL_MS: "500" });
    const connection = createRedis(REDIS_URL, { role: "worker" });
    const worker = createImportWorker({ config, logger, connection, pool: db.pool, source });
    const running = worker.run();
    try {
      const final = await waitFor(
        "every document to be loaded",
        async () => {
          const ledger = await ledgerRows(runId);
          return ids.every((id) => ledger.get(id)?.status === "succeeded") ? ledger : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 50 },
      );
      for (const id of ids) {
        expect(server.requests.get(id), id).toHaveLength(1);
        expect(final.get(id), id).toMatchObject({ attempts: 1 });
      }
      // The rest waited for the chunk to come back from the stalled check, after the other lock lapsed.
      const order = rows.map((r) => r.legacyId);
      for (const id of order.slice(1)) expect(server.requests.get(id)![0]!).toBeGreaterThanOrEqual(stolenAt + STOLEN_FOR_MS);
    } finally {
      await worker.close();
      await running;
      await connection.quit();
    }
  });

  it("a chunk that failed as a whole gives each document it did not attempt a job of its own", async () => {
    const { runId, rows } = await listed(["out-1", "out-2", "out-3"]);
    const [job] = firstAttemptJobs(runId, rows, 10, { attempts: ATTEMPTS });
    // One attempted already (it failed and went on in a job of its own), as a stalled chunk leaves it.
    await db.pool.query("UPDATE service_imports SET attempts = 1, error_kind = 'http_5xx' WHERE id = $1", [rows[0]!.id]);
    const added = await handOutChunk(db.pool, queue, producer, job!.data, { attempts: ATTEMPTS });
    expect(added).toBe(2);
    for (const row of rows.slice(1)) {
      const own = await queue.getJob(row.id);
      expect(own?.data).toMatchObject({ runId, legacyId: row.legacyId });
      expect(own?.opts.attempts).toBe(ATTEMPTS);
      await own?.remove();
    }
    expect(await queue.getJob(rows[0]!.id)).toBeUndefined();
    expect(await handOutChunk(db.pool, queue, producer, { runId }, { attempts: ATTEMPTS })).toBe(0);
  });
});
