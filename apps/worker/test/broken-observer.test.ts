import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UnrecoverableError, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { pino, type Logger } from "pino";
import { loadConfig } from "@porter/config";
import { createRun, recordListedPage } from "@porter/db";
import { createImportQueue, createRedis, importJob, type ImportJobData, type ImportQueue } from "@porter/queue";
import { createHttpSource, type Source } from "@porter/source";
import { createTestDatabase, createTestQueue, REDIS_URL, sampleDocument, waitFor, type TestDatabase, type TestQueue } from "@porter/testing";
import type { AttemptObserver } from "../src/attempt-observer.js";
import { createImportWorker } from "../src/create-worker.js";
import { createImportProcessor } from "../src/process-import.js";
import { ok, startLegacyServer, status, type LegacyServer } from "./legacy-server.js";

// Observers are for watching the migration: one that throws (a metrics
// library bug, a label it rejects) must never cost a document.

type Method = "start" | "enter" | "succeeded" | "refused" | "failed";

/** An observer whose listed methods throw; counts every call. */
function brokenObserver(throwing: readonly Method[]): AttemptObserver & { calls: Record<Method, number> } {
  const calls: Record<Method, number> = { start: 0, enter: 0, succeeded: 0, refused: 0, failed: 0 };
  const call = (method: Method) => {
    calls[method]++;
    if (throwing.includes(method)) throw new Error(`observer ${method} is broken`);
  };
  return {
    calls,
    start() {
      call("start");
      return {
        enter: () => call("enter"),
        succeeded: () => call("succeeded"),
        refused: () => call("refused"),
        failed: () => call("failed"),
      };
    },
  };
}

interface Line {
  level: number;
  msg: string;
  method?: string;
  err?: { message: string };
}

function capturingLogger(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const logger = pino({ level: "debug" }, { write: (s: string) => void lines.push(JSON.parse(s) as Line) });
  return { logger, lines };
}

const WARN = 40;
const ALL: Method[] = ["start", "enter", "succeeded", "failed"];

let db: TestDatabase;
let tq: TestQueue;
let server: LegacyServer;
let connection: Redis;
let queue: ImportQueue;
let source: Source;
let runId: string;

beforeAll(async () => {
  [db, server] = await Promise.all([createTestDatabase("porter_broken_observer"), startLegacyServer()]);
  tq = createTestQueue("porter_broken_observer");
  connection = createRedis(REDIS_URL, { role: "producer" });
  queue = createImportQueue(connection, tq.prefix);
  source = createHttpSource({ url: server.url, connections: 4, maxPageBytes: 1024 * 1024 });
  runId = (await createRun(db.pool, {})).id;
});

afterAll(async () => {
  await source?.close();
  await server?.close();
  await queue?.close();
  await connection?.quit();
  await tq?.drop();
  await db?.drop();
});

/** A ledger row and its job, added as the enqueuer adds it and read back from Redis. */
async function jobFor(legacyId: string, attempts: number): Promise<Job<ImportJobData, void, string>> {
  const { rows } = await recordListedPage(db.pool, runId, [legacyId]);
  const row = rows[0];
  if (!row) throw new Error("no ledger row");
  const { name, data, opts } = importJob({ id: row.id, runId, legacyId }, { attempts });
  await queue.add(name, data, opts);
  const job = await queue.getJob(row.id);
  if (!job) throw new Error("job not found");
  return job as Job<ImportJobData, void, string>;
}

async function ledger(id: string): Promise<Record<string, unknown>> {
  const { rows } = await db.pool.query("SELECT status, attempts, error_kind, error_stage, last_error FROM service_imports WHERE id = $1", [
    id,
  ]);
  return rows[0] as Record<string, unknown>;
}

async function loaded(legacyId: string): Promise<boolean> {
  const { rowCount } = await db.pool.query("SELECT 1 FROM documents WHERE legacy_id = $1", [legacyId]);
  return rowCount === 1;
}

function processorWith(observer: AttemptObserver, logger: Logger = capturingLogger().logger) {
  return createImportProcessor({ pool: db.pool, source, logger, jobTimeoutMs: 5_000, observer });
}

describe("an observer that throws", () => {
  it.each([
    ["every method", ALL],
    ["start", ["start"] as Method[]],
    ["enter", ["enter"] as Method[]],
    // after the load committed: the case that once turned a loaded document into a failed attempt
    ["succeeded", ["succeeded"] as Method[]],
  ])("in %s: the document is loaded and the ledger says succeeded after one attempt, no failure recorded", async (_what, throwing) => {
    const id = `ok-${throwing.join("-")}`;
    server.replies.set(id, ok(sampleDocument(id)));
    const job = await jobFor(id, 3);

    await expect(processorWith(brokenObserver(throwing))(job)).resolves.toBeUndefined();

    expect(await ledger(job.id as string)).toEqual({
      status: "succeeded",
      attempts: 1,
      error_kind: null,
      error_stage: null,
      last_error: null,
    });
    expect(await loaded(id)).toBe(true);
  });

  it("in failed: a failing document still fails with its own kind, final and unrecoverable", async () => {
    const id = "gone";
    server.replies.set(id, status(404));
    const job = await jobFor(id, 5);
    const observer = brokenObserver(["enter", "succeeded", "failed"]);

    const err = await processorWith(observer)(job).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(err).toBeInstanceOf(UnrecoverableError);
    expect((err as Error).message).toMatch(/^not_found: /);
    expect(observer.calls.failed).toBe(1);
    expect(await ledger(job.id as string)).toMatchObject({ status: "failed", attempts: 1, error_kind: "not_found", error_stage: "fetch" });
  });

  it("is logged at warn once per method, naming it, and at debug after that", async () => {
    const { logger, lines } = capturingLogger();
    const processor = processorWith(brokenObserver(ALL), logger);
    for (const n of [1, 2, 3]) {
      const id = `logged-${n}`;
      server.replies.set(id, ok(sampleDocument(id)));
      await processor(await jobFor(id, 1));
    }
    server.replies.set("logged-gone", status(404));
    await processor(await jobFor("logged-gone", 1)).catch(() => {});

    const observerLines = lines.filter((l) => l.method !== undefined);
    const warned = observerLines.filter((l) => l.level === WARN);
    // start throws first, so enter/succeeded/failed are never reached through a real watch
    expect(warned.map((l) => l.method).sort()).toEqual(["start"]);
    expect(warned[0]?.err?.message).toBe("observer start is broken");
    expect(observerLines.filter((l) => l.level < WARN)).toHaveLength(3);
  });

  it("in each watch method: one warning each, however many documents", async () => {
    const { logger, lines } = capturingLogger();
    const processor = processorWith(brokenObserver(["enter", "succeeded", "failed"]), logger);
    for (const n of [1, 2]) {
      const id = `watched-${n}`;
      server.replies.set(id, ok(sampleDocument(id)));
      await processor(await jobFor(id, 1));
    }
    server.replies.set("watched-gone", status(404));
    await processor(await jobFor("watched-gone", 1)).catch(() => {});

    const warned = lines.filter((l) => l.method !== undefined && l.level === WARN);
    expect(warned.map((l) => l.method).sort()).toEqual(["enter", "failed", "succeeded"]);
    for (const line of warned) expect(line.msg).toContain(`${line.method}`);
  });

  it("through a BullMQ worker: the job completes (not retried, not failed) and the ledger says succeeded", async () => {
    // Only this test's job in the queue: the ones above were handed to the processor directly and are still waiting.
    await tq.clear();
    const id = "via-worker";
    server.replies.set(id, ok(sampleDocument(id)));
    const config = loadConfig({
      REDIS_URL,
      DATABASE_URL: db.url,
      LEGACY_URL: server.url,
      QUEUE_PREFIX: tq.prefix,
      JOB_ATTEMPTS: "3",
      BACKOFF_BASE_MS: "50",
      LOG_LEVEL: "silent",
    });
    const workerConnection = createRedis(REDIS_URL, { role: "worker" });
    const observer = brokenObserver(ALL.filter((m) => m !== "start"));
    const worker = createImportWorker({ config, logger: capturingLogger().logger, connection: workerConnection, pool: db.pool, source, observer });
    const failed: string[] = [];
    const completed: string[] = [];
    worker.on("failed", (job) => failed.push(job?.id ?? "?"));
    worker.on("completed", (job) => completed.push(job.id ?? "?"));
    const job = await jobFor(id, 3);
    const running = worker.run();
    try {
      await waitFor("the job to complete", () => (completed.includes(job.id as string) ? true : undefined), { timeoutMs: 10_000 });
    } finally {
      await worker.close();
      await running;
      await workerConnection.quit();
    }
    expect(failed).toEqual([]);
    expect(observer.calls.succeeded).toBe(1);
    expect(await ledger(job.id as string)).toMatchObject({ status: "succeeded", attempts: 1, error_kind: null });
    expect(await loaded(id)).toBe(true);
  });
});
