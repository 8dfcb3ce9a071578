import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Queue, UnrecoverableError, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { createRun, recordListedPage } from "@porter/db";
import { ImportFailure } from "@porter/failures";
import { createLogger } from "@porter/logger";
import { createRedis, importJobOptions, QUEUE_NAME, type ImportJobData } from "@porter/queue";
import { createHttpSource, type Source } from "@porter/source";
import { createTestDatabase, createTestQueue, REDIS_URL, sampleDocument, type TestDatabase, type TestQueue } from "@porter/testing";
import { createImportProcessor, type ImportProcessor } from "../src/process-import.js";
import { hang, ok, sequence, startLegacyServer, status, type LegacyServer } from "./legacy-server.js";

const JOB_TIMEOUT_MS = 300;

let db: TestDatabase;
let tq: TestQueue;
let connection: Redis;
let queue: Queue<ImportJobData, void, string>;
let server: LegacyServer;
let source: Source;
let processor: ImportProcessor;
let runId: string;

beforeAll(async () => {
  [db, server] = await Promise.all([createTestDatabase("porter_process_import"), startLegacyServer()]);
  tq = createTestQueue("porter_process_import");
  connection = createRedis(REDIS_URL, { role: "producer" });
  queue = new Queue<ImportJobData, void, string>(QUEUE_NAME, { connection, prefix: tq.prefix });
  source = createHttpSource({ url: server.url, connections: 4, maxPageBytes: 1024 * 1024 });
  processor = createImportProcessor({
    pool: db.pool,
    source,
    logger: createLogger({ level: "silent", name: "test" }),
    jobTimeoutMs: JOB_TIMEOUT_MS,
  });
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

/** A real job: ledger row written, job added with the import options, fetched back from Redis. */
async function jobFor(legacyId: string, attempts: number): Promise<Job<ImportJobData, void, string>> {
  const { rows } = await recordListedPage(db.pool, runId, [legacyId]);
  const row = rows[0];
  if (!row) throw new Error("no ledger row");
  await queue.add("import", { runId, legacyId }, importJobOptions(row.id, { attempts }));
  const job = await queue.getJob(row.id);
  if (!job) throw new Error("job not found");
  expect(job.opts.attempts).toBe(attempts);
  expect(job.attemptsMade).toBe(0);
  return job;
}

interface LedgerState {
  status: string;
  attempts: number;
  error_kind: string | null;
  error_stage: string | null;
  last_error: string | null;
  stacktrace: string | null;
  duration_ms: number | null;
}

async function ledger(id: string): Promise<LedgerState> {
  const { rows } = await db.pool.query(
    "SELECT status, attempts, error_kind, error_stage, last_error, stacktrace, duration_ms FROM service_imports WHERE id = $1",
    [id],
  );
  return rows[0] as LedgerState;
}

async function documentRow(legacyId: string): Promise<Record<string, unknown> | undefined> {
  const { rows } = await db.pool.query(
    `SELECT d.title, d.body, d.tags, d.run_id, created_at = $2::timestamptz AS created_same,
            (SELECT array_agg(size_bytes ORDER BY position) FROM document_attachments WHERE document_id = d.id) AS sizes
       FROM documents d WHERE legacy_id = $1`,
    [legacyId, sampleDocument(legacyId).createdAt],
  );
  return rows[0] as Record<string, unknown> | undefined;
}

async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error("the processor resolved");
    },
    (err: unknown) => err,
  );
}

describe("createImportProcessor", () => {
  it("a page that answers loads the document and marks the ledger row succeeded", async () => {
    const id = "ok doc/ü";
    const doc = sampleDocument(id);
    server.replies.set(id, ok(doc));
    const job = await jobFor(id, 3);

    await processor(job);

    expect(await ledger(job.id as string)).toMatchObject({ status: "succeeded", attempts: 1, error_kind: null, stacktrace: null });
    expect(await documentRow(id)).toEqual({
      title: doc.title,
      body: doc.body,
      tags: doc.tags,
      run_id: runId,
      created_same: true,
      sizes: ["5000000000"],
    });
    expect(server.requests.get(id)).toHaveLength(1);
  });

  it("a 404 fails the document at once: failed/not_found/fetch, attempt 1, stack, UnrecoverableError", async () => {
    const id = "missing";
    server.replies.set(id, status(404));
    const job = await jobFor(id, 5);

    const err = await rejectionOf(processor(job));
    expect(err).toBeInstanceOf(UnrecoverableError);
    expect((err as Error).message).toMatch(/^not_found: /);

    const row = await ledger(job.id as string);
    expect(row).toMatchObject({ status: "failed", attempts: 1, error_kind: "not_found", error_stage: "fetch" });
    expect(row.last_error).toContain("404");
    expect(row.stacktrace).toMatch(/^ImportFailure: .*404/);
    expect(row.stacktrace).toMatch(/\n\s+at /);
    expect(row.duration_ms).toBeGreaterThanOrEqual(0);
    expect(await documentRow(id)).toBeUndefined();
  });

  it("a 500 on the first of 3 attempts records pending (not final) and throws the ImportFailure", async () => {
    const id = "flaky";
    server.replies.set(id, status(500));
    const job = await jobFor(id, 3);

    const err = await rejectionOf(processor(job));
    expect(err).toBeInstanceOf(ImportFailure);
    expect(err).not.toBeInstanceOf(UnrecoverableError);
    expect(err).toMatchObject({ kind: "http_5xx", stage: "fetch", retryable: true });

    expect(await ledger(job.id as string)).toMatchObject({
      status: "pending",
      attempts: 1,
      error_kind: "http_5xx",
      error_stage: "fetch",
    });
    expect(await documentRow(id)).toBeUndefined();
  });

  it("a 500 on the last attempt records failed", async () => {
    const id = "flaky-last";
    server.replies.set(id, status(503));
    const job = await jobFor(id, 1);
    expect(await rejectionOf(processor(job))).toMatchObject({ kind: "http_5xx" });
    expect(await ledger(job.id as string)).toMatchObject({ status: "failed", attempts: 1, error_kind: "http_5xx" });
  });

  it("a page that never answers within jobTimeoutMs is a fetch timeout", async () => {
    const id = "never-answers";
    server.replies.set(id, hang);
    const job = await jobFor(id, 1);

    const started = Date.now();
    const err = await rejectionOf(processor(job));
    const elapsed = Date.now() - started;
    expect(err).toBeInstanceOf(ImportFailure);
    expect(err).toMatchObject({ kind: "timeout", stage: "fetch" });
    expect(elapsed).toBeGreaterThanOrEqual(JOB_TIMEOUT_MS - 10);
    expect(elapsed).toBeLessThan(JOB_TIMEOUT_MS + 2_000);
    expect(await ledger(job.id as string)).toMatchObject({ status: "failed", attempts: 1, error_kind: "timeout", error_stage: "fetch" });
  });

  it("a page without the script tag fails at once at the extract stage", async () => {
    const id = "no-json";
    server.replies.set(id, (res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html><body>nothing here</body></html>");
    });
    const job = await jobFor(id, 5);
    expect(await rejectionOf(processor(job))).toBeInstanceOf(UnrecoverableError);
    expect(await ledger(job.id as string)).toMatchObject({
      status: "failed",
      attempts: 1,
      error_kind: "no_embedded_json",
      error_stage: "extract",
    });
  });

  it("uses the job's attemptsMade: a success on attempt 2 records attempts 2", async () => {
    const id = "second-try";
    server.replies.set(id, sequence(status(500), ok(sampleDocument(id))));
    const job = await jobFor(id, 3);
    await rejectionOf(processor(job));
    // what BullMQ hands the processor on the retry
    job.attemptsMade = 1;
    await processor(job);
    expect(await ledger(job.id as string)).toMatchObject({ status: "succeeded", attempts: 2, error_kind: null, last_error: null });
  });
});
