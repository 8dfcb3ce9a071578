import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Redis } from "ioredis";
import { loadConfig } from "@porter/config";
import { checkpointListing, completeRunIfDone, countByStatus, createRun, recordListedPage } from "@porter/db";
import { createLogger } from "@porter/logger";
import { createImportQueue, createRedis, importJobOptions, type ImportQueue } from "@porter/queue";
import { createHttpSource, type Source } from "@porter/source";
import { createTestDatabase, createTestQueue, REDIS_URL, sampleDocument, waitFor, type TestDatabase, type TestQueue } from "@porter/testing";
import { createImportWorker, type ImportWorker } from "../src/create-worker.js";
import { ok, sequence, startLegacyServer, status, type LegacyServer } from "./legacy-server.js";

const ATTEMPTS = 3;

let db: TestDatabase;
let tq: TestQueue;
let server: LegacyServer;
let workerConnection: Redis;
let producerConnection: Redis;
let queue: ImportQueue;
let source: Source;
let worker: ImportWorker;
let running: Promise<void> | undefined;

beforeAll(async () => {
  [db, server] = await Promise.all([createTestDatabase("porter_worker_e2e"), startLegacyServer()]);
  tq = createTestQueue("porter_worker_e2e");
  const config = loadConfig({
    REDIS_URL,
    DATABASE_URL: db.url,
    LEGACY_URL: server.url,
    QUEUE_PREFIX: tq.prefix,
    JOB_TIMEOUT_MS: "2000",
    JOB_ATTEMPTS: String(ATTEMPTS),
    BACKOFF_BASE_MS: "50",
    WORKER_CONCURRENCY: "4",
    STALLED_INTERVAL_MS: "5000",
    LOG_LEVEL: "silent",
  });
  expect(config.queuePrefix).toBe(tq.prefix);
  workerConnection = createRedis(config.redisUrl, { role: "worker" });
  producerConnection = createRedis(config.redisUrl, { role: "producer" });
  queue = createImportQueue(producerConnection, config.queuePrefix);
  source = createHttpSource({ url: config.legacyUrl, connections: config.workerConcurrency, maxPageBytes: config.maxPageBytes });
  worker = createImportWorker({
    config,
    logger: createLogger({ level: config.logLevel, name: "worker-test" }),
    connection: workerConnection,
    pool: db.pool,
    source,
  });
});

afterAll(async () => {
  await worker?.close();
  await running?.catch(() => {});
  await source?.close();
  await server?.close();
  await queue?.close();
  await workerConnection?.quit();
  await producerConnection?.quit();
  await tq?.drop();
  await db?.drop();
});

interface Row {
  legacy_id: string;
  status: string;
  attempts: number;
  error_kind: string | null;
  error_stage: string | null;
}

async function ledgerRows(runId: string): Promise<Map<string, Row>> {
  const { rows } = await db.pool.query(
    "SELECT legacy_id, status, attempts, error_kind, error_stage FROM service_imports WHERE run_id = $1",
    [runId],
  );
  return new Map((rows as Row[]).map((r) => [r.legacy_id, r]));
}

describe("createImportWorker end to end", () => {
  it("processes jobs to the ledger: successes, a 429 honoured, 5xx retried, a 404 failed at once", async () => {
    const plain = ["doc-1", "doc 2/ü", "doc-3"];
    for (const id of plain) server.replies.set(id, ok(sampleDocument(id)));
    server.replies.set("rate", sequence(status(429, { "retry-after": "1" }), ok(sampleDocument("rate"))));
    server.replies.set("flaky", sequence(status(500), status(502), ok(sampleDocument("flaky"))));
    server.replies.set("down", status(503));
    server.replies.set("gone", status(404));
    const ids = [...plain, "rate", "flaky", "down", "gone"];

    const run = await createRun(db.pool, { test: "worker-e2e" });
    const { rows } = await recordListedPage(db.pool, run.id, ids);
    await queue.addBulk(
      rows.map((row) => ({
        name: "import",
        data: { runId: run.id, legacyId: row.legacyId },
        opts: importJobOptions(row.id, { attempts: ATTEMPTS }),
      })),
    );
    await checkpointListing(db.pool, run.id, null);
    const jobId = new Map(rows.map((r) => [r.legacyId, r.id]));

    running = worker.run();

    const final = await waitFor(
      "every document to finish",
      async () => {
        const ledger = await ledgerRows(run.id);
        return [...ledger.values()].every((r) => r.status === "succeeded" || r.status === "failed") ? ledger : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 50 },
    );

    for (const id of plain) expect(final.get(id)).toMatchObject({ status: "succeeded", attempts: 1, error_kind: null });
    expect(final.get("rate")).toMatchObject({ status: "succeeded", attempts: 2, error_kind: null });
    expect(final.get("flaky")).toMatchObject({ status: "succeeded", attempts: 3 });
    expect(final.get("down")).toMatchObject({ status: "failed", attempts: ATTEMPTS, error_kind: "http_5xx", error_stage: "fetch" });
    expect(final.get("gone")).toMatchObject({ status: "failed", attempts: 1, error_kind: "not_found", error_stage: "fetch" });

    // the 429's retry waited at least its Retry-After
    const rateTimes = server.requests.get("rate") ?? [];
    expect(rateTimes).toHaveLength(2);
    expect((rateTimes[1] as number) - (rateTimes[0] as number)).toBeGreaterThanOrEqual(1_000);
    // a 404 is asked once, a 503 as many times as there are attempts
    expect(server.requests.get("gone")).toHaveLength(1);
    expect(server.requests.get("down")).toHaveLength(ATTEMPTS);
    expect(server.requests.get("flaky")).toHaveLength(3);

    // documents: one row per success, none for failures
    const { rows: docs } = await db.pool.query("SELECT legacy_id FROM documents WHERE run_id = $1 ORDER BY legacy_id", [run.id]);
    expect((docs as { legacy_id: string }[]).map((d) => d.legacy_id)).toEqual([...plain, "rate", "flaky"].sort());

    // BullMQ agrees: completed jobs are removed, failed ones kept with their attempts
    await waitFor("BullMQ to settle", async () => {
      const counts = await queue.getJobCounts("waiting", "active", "delayed", "completed", "failed");
      return counts.failed === 2 && counts.waiting === 0 && counts.active === 0 && counts.delayed === 0 ? counts : undefined;
    });
    const gone = await queue.getJob(jobId.get("gone") as string);
    expect(gone?.attemptsMade).toBe(1);
    expect(await gone?.getState()).toBe("failed");
    const down = await queue.getJob(jobId.get("down") as string);
    expect(down?.attemptsMade).toBe(ATTEMPTS);
    expect(await queue.getJob(jobId.get("doc-1") as string)).toBeUndefined();

    expect(await countByStatus(db.pool, run.id)).toMatchObject({ listed: ids.length, succeeded: 5, failed: 2, pending: 0, running: 0 });
    expect(await completeRunIfDone(db.pool, run.id)).toBe(true);
  });
});
