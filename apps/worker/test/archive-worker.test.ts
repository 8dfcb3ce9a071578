import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Queue, UnrecoverableError, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type pg from "pg";
import { createArchiveSource } from "@porter/archive";
import { createPool, createRun, legacyKey, recordListedPage } from "@porter/db";
import { ImportFailure } from "@porter/failures";
import { createLogger } from "@porter/logger";
import { createRedis, importJob, QUEUE_NAME, type ImportJobData } from "@porter/queue";
import { createHttpSource, type Source } from "@porter/source";
import { createTestDatabase, createTestQueue, documentPage, freePort, REDIS_URL, sampleDocument, type TestDatabase, type TestQueue } from "@porter/testing";
import { createImportProcessor, type ImportProcessor } from "../src/process-import.js";
import { createRunSources } from "../src/run-sources.js";
import { status, startLegacyServer, type LegacyServer, type Reply } from "./legacy-server.js";

const MAX_PAGE_BYTES = 64 * 1024;
const HTML = "text/html; charset=utf-8";

let db: TestDatabase;
/** The archive's own database (ARCHIVE_DATABASE_URL). */
let store: TestDatabase;
let tq: TestQueue;
let connection: Redis;
let queue: Queue<ImportJobData, void, string>;
let server: LegacyServer;
let source: Source;
/** ARCHIVE=on, the archive in the target database. */
let archiving: ImportProcessor;
/** ARCHIVE=off. */
let notArchiving: ImportProcessor;
/** ARCHIVE=on with ARCHIVE_DATABASE_URL: pages go to `store`. */
let storing: ImportProcessor;

function processor(sources: ReturnType<typeof createRunSources>, archiveStore?: pg.Pool): ImportProcessor {
  return createImportProcessor({
    pool: db.pool,
    source,
    logger: createLogger({ level: "silent", name: "test" }),
    jobTimeoutMs: 5_000,
    sources,
    archiveStore,
  });
}

beforeAll(async () => {
  [db, store, server] = await Promise.all([
    createTestDatabase("porter_archive_worker"),
    createTestDatabase("porter_archive_worker_store"),
    startLegacyServer(),
  ]);
  tq = createTestQueue("porter_archive_worker");
  connection = createRedis(REDIS_URL, { role: "producer" });
  queue = new Queue<ImportJobData, void, string>(QUEUE_NAME, { connection, prefix: tq.prefix });
  source = createHttpSource({ url: server.url, connections: 4, maxPageBytes: MAX_PAGE_BYTES });
  archiving = processor(createRunSources({ pool: db.pool, legacy: source, archive: db.pool, keepPages: true }));
  notArchiving = processor(createRunSources({ pool: db.pool, legacy: source, archive: db.pool, keepPages: false }));
  storing = processor(createRunSources({ pool: db.pool, legacy: source, archive: store.pool, keepPages: true }), store.pool);
});

afterAll(async () => {
  // The databases and the queue's keys go even when a close fails (a producer connection
  // that never got ready refuses quit()).
  await Promise.allSettled([source?.close(), server?.close(), queue?.close()]);
  await connection?.quit().catch(() => connection.disconnect());
  await Promise.all([tq?.drop(), db?.drop(), store?.drop()]);
});

/** A 200 with exactly `bytes` and `headers`. */
function serve(bytes: Buffer, headers: Record<string, string> = { "content-type": HTML }): Reply {
  return (res) => {
    res.writeHead(200, { "content-length": String(bytes.length), ...headers });
    res.end(bytes);
  };
}

/** The page of a valid document, as bytes. */
function validPage(id: string): Buffer {
  return Buffer.from(documentPage(sampleDocument(id)), "utf8");
}

/** The job of `legacyId` in `runId`, as the enqueuer adds it (listing updatedAt included), fetched back from Redis. */
async function jobFor(runId: string, legacyId: string, attempts: number, updatedAt: string | null = null): Promise<Job<ImportJobData, void, string>> {
  const { rows } = await recordListedPage(db.pool, runId, [{ id: legacyId, updatedAt }]);
  const row = rows[0];
  if (!row) throw new Error("no ledger row");
  const job = importJob({ id: row.id, runId, legacyId, updatedAt: row.updatedAt }, { attempts });
  await queue.add(job.name, job.data, job.opts);
  const added = await queue.getJob(row.id);
  if (!added) throw new Error("job not found");
  return added;
}

async function newRun(replayOf: string | null = null): Promise<string> {
  return (await createRun(db.pool, {}, { replayOf })).id;
}

interface ArchiveRow {
  legacy_id: string;
  body: Buffer;
  sha256: Buffer;
  content_type: string | null;
  listed_updated_at: string | null;
  run_id: string;
  first_run_id: string;
  raw_bytes: number;
  fetched_ms: number;
}

/** The archive's rows of a document in `pool`'s porter_archive.pages. */
async function archived(legacyId: string, pool: pg.Pool = db.pool): Promise<ArchiveRow[]> {
  const { rows } = await pool.query<ArchiveRow>(
    `SELECT legacy_id, body, sha256, content_type, listed_updated_at, run_id, first_run_id, raw_bytes,
            (extract(epoch FROM fetched_at) * 1000)::float8 AS fetched_ms
       FROM porter_archive.pages WHERE legacy_key = $1`,
    [legacyKey(legacyId)],
  );
  return rows;
}

async function ledger(id: string): Promise<{ status: string; attempts: number; error_kind: string | null; error_stage: string | null; last_error: string | null }> {
  const { rows } = await db.pool.query(
    "SELECT status, attempts, error_kind, error_stage, last_error FROM service_imports WHERE id = $1",
    [id],
  );
  return rows[0] as { status: string; attempts: number; error_kind: string | null; error_stage: string | null; last_error: string | null };
}

async function documentOf(legacyId: string): Promise<{ title: string; run_id: string } | undefined> {
  const { rows } = await db.pool.query<{ title: string; run_id: string }>("SELECT title, run_id FROM documents WHERE legacy_id = $1", [legacyId]);
  return rows[0];
}

async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error("the processor resolved");
    },
    (err: unknown) => err,
  );
}

function sha256(bytes: Buffer): Buffer {
  return createHash("sha256").update(bytes).digest();
}

describe("archiving pages in the worker", () => {
  it("a document that loads has its page archived: the served bytes, their sha256, the content type, the job's updatedAt and run", async () => {
    const runId = await newRun();
    const id = "archived doc/ü";
    const bytes = validPage(id);
    server.replies.set(id, serve(bytes));
    const job = await jobFor(runId, id, 3, "2024-05-01T10:00:00.123456Z");
    expect(job.data.updatedAt).toBe("2024-05-01T10:00:00.123456Z");

    const before = Date.now();
    await archiving(job);
    const after = Date.now();

    expect(await ledger(job.id as string)).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(await documentOf(id)).toEqual({ title: `Title of ${id}`, run_id: runId });
    const rows = await archived(id);
    expect(rows).toHaveLength(1);
    const row = rows[0] as ArchiveRow;
    expect(row.body.equals(bytes)).toBe(true);
    expect(row.sha256.equals(sha256(bytes))).toBe(true);
    expect(row).toMatchObject({
      legacy_id: id,
      content_type: HTML,
      listed_updated_at: "2024-05-01T10:00:00.123456Z",
      run_id: runId,
      first_run_id: runId,
      raw_bytes: bytes.length,
    });
    expect(row.fetched_ms).toBeGreaterThanOrEqual(before);
    expect(row.fetched_ms).toBeLessThanOrEqual(after);
    // The target database's archive only: nothing went to the other one.
    expect(await archived(id, store.pool)).toEqual([]);
  });

  it("a gzip-encoded page is archived with its content coding undone", async () => {
    const runId = await newRun();
    const id = "gzipped";
    const bytes = validPage(id);
    server.replies.set(id, serve(gzipSync(bytes), { "content-type": "text/html", "content-encoding": "gzip" }));
    await archiving(await jobFor(runId, id, 1));
    const rows = await archived(id);
    expect(rows.map((r) => [r.body.equals(bytes), r.content_type, r.raw_bytes])).toEqual([[true, "text/html", bytes.length]]);
  });

  it("a page whose JSON is broken fails the document (invalid_json) and its page is still archived", async () => {
    const runId = await newRun();
    const id = "broken-json";
    const bytes = Buffer.from(`<html><body><script id="document-data" type="application/json">{"id": "broken-json",</script></body></html>`);
    server.replies.set(id, serve(bytes));
    const job = await jobFor(runId, id, 5, "2024-01-01T00:00:00Z");

    const err = await rejectionOf(archiving(job));
    expect(err).toBeInstanceOf(UnrecoverableError);
    expect((err as Error).message).toMatch(/^invalid_json: /);
    expect(await ledger(job.id as string)).toMatchObject({ status: "failed", attempts: 1, error_kind: "invalid_json", error_stage: "extract" });
    expect(await documentOf(id)).toBeUndefined();
    const rows = await archived(id);
    expect(rows.map((r) => [r.body.equals(bytes), r.sha256.equals(sha256(bytes)), r.run_id, r.listed_updated_at])).toEqual([
      [true, true, runId, "2024-01-01T00:00:00Z"],
    ]);
  });

  it("a 404, a 5xx and a too_large page archive nothing", async () => {
    const runId = await newRun();
    server.replies.set("gone", status(404));
    server.replies.set("failing", status(503));
    server.replies.set("huge", serve(Buffer.alloc(MAX_PAGE_BYTES + 1, "a")));
    const expected = { gone: "not_found", failing: "http_5xx", huge: "too_large" };
    for (const [id, kind] of Object.entries(expected)) {
      const job = await jobFor(runId, id, 1);
      expect(await rejectionOf(archiving(job))).toBeInstanceOf(Error);
      expect(await ledger(job.id as string)).toMatchObject({ status: "failed", attempts: 1, error_kind: kind, error_stage: "fetch" });
      expect(server.requests.get(id)).toHaveLength(1);
      expect(await archived(id)).toEqual([]);
    }
    const { rows } = await db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM porter_archive.pages WHERE run_id = $1", [runId]);
    expect(rows).toEqual([{ n: 0 }]);
  });

  it("with ARCHIVE=off (keepPages false) nothing is archived, whether the document loads or fails at extract", async () => {
    const runId = await newRun();
    server.replies.set("off-ok", serve(validPage("off-ok")));
    server.replies.set("off-broken", serve(Buffer.from(`<html><script id="document-data" type="application/json">{]</script></html>`)));
    const ok = await jobFor(runId, "off-ok", 1);
    const broken = await jobFor(runId, "off-broken", 1);

    await notArchiving(ok);
    expect(await rejectionOf(notArchiving(broken))).toBeInstanceOf(UnrecoverableError);

    expect(await ledger(ok.id as string)).toMatchObject({ status: "succeeded" });
    expect(await ledger(broken.id as string)).toMatchObject({ status: "failed", error_kind: "invalid_json" });
    expect(await documentOf("off-ok")).toMatchObject({ run_id: runId });
    expect(server.requests.get("off-ok")).toHaveLength(1);
    expect(await archived("off-ok")).toEqual([]);
    expect(await archived("off-broken")).toEqual([]);
  });

  it("with an archive database of its own the page goes there, none into the target's porter_archive.pages", async () => {
    const runId = await newRun();
    const okBytes = validPage("stored-ok");
    const brokenBytes = Buffer.from(`<html><script id="document-data" type="application/json">{"x":</script></html>`);
    server.replies.set("stored-ok", serve(okBytes));
    server.replies.set("stored-broken", serve(brokenBytes));
    const ok = await jobFor(runId, "stored-ok", 1, "2023-03-03T03:03:03Z");
    const broken = await jobFor(runId, "stored-broken", 1);

    await storing(ok);
    expect(await rejectionOf(storing(broken))).toBeInstanceOf(UnrecoverableError);

    expect(await ledger(ok.id as string)).toMatchObject({ status: "succeeded" });
    expect(await ledger(broken.id as string)).toMatchObject({ status: "failed", error_kind: "invalid_json", error_stage: "extract" });
    const stored = await archived("stored-ok", store.pool);
    expect(stored.map((r) => [r.body.equals(okBytes), r.run_id, r.listed_updated_at, r.content_type])).toEqual([[true, runId, "2023-03-03T03:03:03Z", HTML]]);
    expect((await archived("stored-broken", store.pool)).map((r) => r.body.equals(brokenBytes))).toEqual([true]);
    expect(await archived("stored-ok")).toEqual([]);
    expect(await archived("stored-broken")).toEqual([]);
  });
});

describe("a replay reads the archive", () => {
  /** Requests the legacy server received, over all ids. */
  function requestCount(): number {
    let n = 0;
    for (const times of server.requests.values()) n += times.length;
    return n;
  }

  it("loads an archived document without a request, repeats a fetch failure (http_5xx) at once, and fails a page it lacks as not_archived", async () => {
    // The replayed run: one document archived, one that failed with 503, one loaded with ARCHIVE=off.
    const first = await newRun();
    server.replies.set("replay-ok", serve(validPage("replay-ok")));
    server.replies.set("replay-5xx", status(503));
    server.replies.set("replay-unkept", serve(validPage("replay-unkept")));
    await archiving(await jobFor(first, "replay-ok", 1, "2022-02-02T02:02:02Z"));
    expect(await rejectionOf(archiving(await jobFor(first, "replay-5xx", 1)))).toMatchObject({ kind: "http_5xx" });
    await notArchiving(await jobFor(first, "replay-unkept", 1));
    expect((await archived("replay-ok")).map((r) => r.run_id)).toEqual([first]);

    // Whatever the legacy service says now, a replay must not ask it.
    server.replies.set("replay-ok", status(500));
    server.replies.set("replay-unkept", status(500));
    const requestsBefore = requestCount();

    // The replay's listing is the replayed run's ledger, in key order, with the updatedAt it recorded.
    const listing = await createArchiveSource({ ledger: db.pool, archive: db.pool, replayOf: first }).list(null, 10);
    const ids = ["replay-ok", "replay-5xx", "replay-unkept"];
    expect(listing).toEqual({
      documents: [...ids]
        .sort((a, b) => Buffer.compare(legacyKey(a), legacyKey(b)))
        .map((id) => ({ id, updatedAt: id === "replay-ok" ? "2022-02-02T02:02:02Z" : undefined })),
      nextCursor: null,
    });

    const replay = await newRun(first);
    const ok = await jobFor(replay, "replay-ok", 5, "2022-02-02T02:02:02Z");
    const failed = await jobFor(replay, "replay-5xx", 5);
    const unkept = await jobFor(replay, "replay-unkept", 5);

    await archiving(ok);
    expect(await ledger(ok.id as string)).toMatchObject({ status: "succeeded", attempts: 1, error_kind: null });
    expect(await documentOf("replay-ok")).toEqual({ title: "Title of replay-ok", run_id: replay });

    // Failed at fetch in the replayed run, no page: the same kind, final on attempt 1 of 5.
    const again = await rejectionOf(archiving(failed));
    expect(again).toBeInstanceOf(UnrecoverableError);
    expect((again as Error).message).toMatch(/^http_5xx: /);
    expect(await ledger(failed.id as string)).toMatchObject({ status: "failed", attempts: 1, error_kind: "http_5xx", error_stage: "fetch" });

    // Succeeded in the replayed run but no page was kept.
    const missing = await rejectionOf(archiving(unkept));
    expect(missing).toBeInstanceOf(UnrecoverableError);
    expect((missing as Error).message).toMatch(/^not_archived: /);
    expect(await ledger(unkept.id as string)).toMatchObject({ status: "failed", attempts: 1, error_kind: "not_archived", error_stage: "fetch" });

    expect(requestCount()).toBe(requestsBefore);
    // A replay keeps no page of its own: the archive still names only the first run.
    const { rows } = await db.pool.query<{ run_id: string }>("SELECT DISTINCT run_id FROM porter_archive.pages WHERE legacy_key = ANY($1::bytea[])", [
      ids.map((id) => legacyKey(id)),
    ]);
    expect(rows).toEqual([{ run_id: first }]);
  });

  it("a document gone (404) in the replayed run stays failed, though an older run archived a page of it", async () => {
    const older = await newRun();
    server.replies.set("replay-deleted", serve(validPage("replay-deleted")));
    await archiving(await jobFor(older, "replay-deleted", 1));
    const replayed = await newRun();
    server.replies.set("replay-deleted", status(404));
    expect(await rejectionOf(archiving(await jobFor(replayed, "replay-deleted", 1)))).toBeInstanceOf(UnrecoverableError);
    await db.pool.query("DELETE FROM documents WHERE legacy_id = 'replay-deleted'");
    const requestsBefore = requestCount();

    const replay = await newRun(replayed);
    const job = await jobFor(replay, "replay-deleted", 5);
    expect(((await rejectionOf(archiving(job))) as Error).message).toMatch(/^not_found: /);
    expect(await ledger(job.id as string)).toMatchObject({ status: "failed", attempts: 1, error_kind: "not_found" });
    expect(await documentOf("replay-deleted")).toBeUndefined();
    expect(requestCount()).toBe(requestsBefore);
  });

  it("reads the pages from the archive's own database when it has one", async () => {
    const first = await newRun();
    server.replies.set("replay-stored", serve(validPage("replay-stored")));
    await storing(await jobFor(first, "replay-stored", 1));
    expect(await archived("replay-stored")).toEqual([]);
    server.replies.set("replay-stored", status(500));
    const requestsBefore = requestCount();

    const replay = await newRun(first);
    const job = await jobFor(replay, "replay-stored", 3);
    await storing(job);
    expect(await ledger(job.id as string)).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(await documentOf("replay-stored")).toMatchObject({ run_id: replay });
    expect(requestCount()).toBe(requestsBefore);
    // The replay's page is not archived again.
    expect((await archived("replay-stored", store.pool)).map((r) => r.run_id)).toEqual([first]);
  });
});

describe("an archive database that cannot be reached", () => {
  let down: pg.Pool;
  let downStoring: ImportProcessor;

  beforeAll(async () => {
    // A port nothing listens on: every connection is refused.
    down = createPool({ connectionString: `postgres://postgres@127.0.0.1:${await freePort()}/porter_archive_down`, max: 1 });
    downStoring = processor(createRunSources({ pool: db.pool, legacy: source, archive: down, keepPages: true }), down);
  });

  afterAll(async () => {
    await down?.end();
  });

  /** Refused connections: a failure of the database kinds, which BullMQ retries (not `unknown`, which it would not). */
  function expectRetriedDatabaseFailure(err: unknown): void {
    expect(err).toBeInstanceOf(ImportFailure);
    expect(err).not.toBeInstanceOf(UnrecoverableError);
    const failure = err as ImportFailure;
    expect(["db_unavailable", "db_error"]).toContain(failure.kind);
    expect(failure.retryable).toBe(true);
    expect(failure.message).toContain("ECONNREFUSED");
  }

  it("fails the attempt as a database failure that is retried (not unknown), and loads nothing", async () => {
    const runId = await newRun();
    server.replies.set("store-down", serve(validPage("store-down")));
    const job = await jobFor(runId, "store-down", 3);

    const err = await rejectionOf(downStoring(job));
    expectRetriedDatabaseFailure(err);
    expect(await ledger(job.id as string)).toMatchObject({ status: "pending", attempts: 1, error_kind: (err as ImportFailure).kind });
    expect(await documentOf("store-down")).toBeUndefined();
  });

  it("fails a replay's attempt as a database failure that is retried, without a request", async () => {
    const first = await newRun();
    await recordListedPage(db.pool, first, ["replay-down"]);
    const replay = await newRun(first);
    server.replies.set("replay-down", serve(validPage("replay-down")));
    const job = await jobFor(replay, "replay-down", 3);

    const err = await rejectionOf(downStoring(job));
    expectRetriedDatabaseFailure(err);
    expect(await ledger(job.id as string)).toMatchObject({ status: "pending", attempts: 1, error_kind: (err as ImportFailure).kind });
    expect(server.requests.get("replay-down")).toBeUndefined();
  });
});
