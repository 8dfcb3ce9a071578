import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino, type Logger } from "pino";
import type pg from "pg";
import { createPool, createRun, getRun, migrateDatabase } from "@porter/db";
import { createImportQueue, createRedis, type ImportQueue } from "@porter/queue";
import { createHttpSource } from "@porter/source";
import {
  createTestDatabase,
  createTestQueue,
  REDIS_URL,
  startPrivatePostgres,
  startPrivateRedis,
  uniqueName,
  waitFor,
  type PrivatePostgres,
  type PrivateRedis,
  type TestDatabase,
  type TestQueue,
} from "@porter/testing";
import { enqueueRun, type EnqueueOptions } from "../src/enqueue-run.js";
import { allJobs, ledgerOf, OPTIONS } from "./enqueue-fixtures.js";
import { startHeldListing } from "./held-listing.js";

// A store taken away while the enqueuer is mid-listing: it holds the page
// after the outage starts, retries through it, and lists on once the store is
// back, with exactly one line when the store goes and one when it is back.
const PAGES = 12;
const PER_PAGE = 5;
const HOLD_AT = "p6";

interface Line {
  level: number;
  msg: string;
}

function capturingLogger(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const logger = pino({ level: "debug" }, { write: (s: string) => void lines.push(JSON.parse(s) as Line) });
  return { logger, lines };
}

const WARN = 40;
const INFO = 30;

/** A Redis that keeps every acknowledged write across a kill, like the compose file's (AOF). */
async function durableRedis(dir: string, port?: number): Promise<PrivateRedis> {
  mkdirSync(dir, { recursive: true });
  return startPrivateRedis(["--appendonly", "yes", "--appendfsync", "always", "--dir", dir], port === undefined ? {} : { port });
}

/** Starts enqueueRun and keeps how it ended, so a wait can fail at once with the enqueuer's error. */
function track(listing: Promise<unknown>) {
  const state: { error?: unknown; done: boolean } = { done: false };
  const settled = listing.then(
    () => void (state.done = true),
    (err: unknown) => void (state.error = err),
  );
  return {
    settled,
    /** Throws the enqueuer's error, if it died: waitFor reports it as the last error. */
    alive() {
      if (state.error !== undefined) throw state.error instanceof Error ? state.error : new Error(String(state.error));
    },
  };
}

async function expectEveryIdOnce(pool: pg.Pool, queue: ImportQueue, runId: string, ids: string[]): Promise<void> {
  const ledger = await ledgerOf(pool, runId);
  expect(ledger.map((r) => r.legacy_id)).toEqual([...ids].sort());
  const jobs = await allJobs(queue);
  expect(jobs.map((j) => j.id).sort()).toEqual(ledger.map((r) => r.id).sort());
  expect(new Set(jobs.map((j) => j.data.legacyId)).size).toBe(ids.length);
}

describe("the enqueuer through a Redis outage", () => {
  let db: TestDatabase;
  let dir: string;
  let redis: PrivateRedis | undefined;
  const queues: { queue: ImportQueue; close(): Promise<void> }[] = [];

  beforeAll(async () => {
    db = await createTestDatabase("porter_store_outage");
    dir = mkdtempSync(join(tmpdir(), "porter-redis-"));
  });

  afterAll(async () => {
    for (const q of queues) await q.close();
    await redis?.stop();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function openQueue(url: string) {
    const connection = createRedis(url, { role: "producer" });
    const queue = createImportQueue(connection, uniqueName("porter_outage"));
    queue.on("error", () => {}); // what run-session does: the store calls report the outage
    const entry = {
      queue,
      close: async () => {
        await queue.close().catch(() => {});
        connection.disconnect();
      },
    };
    queues.push(entry);
    return queue;
  }

  it("finishes the listing when Redis is killed mid-listing and restarted on the same port", async () => {
    redis = await durableRedis(join(dir, "a"));
    const queue = await openQueue(redis.url);
    const listing = await startHeldListing(PAGES, PER_PAGE, HOLD_AT);
    const source = createHttpSource({ url: listing.url, connections: 2, maxPageBytes: 1024 * 1024 });
    const { logger, lines } = capturingLogger();
    try {
      const run = await createRun(db.pool, {});
      const options: EnqueueOptions = { ...OPTIONS, pageSize: PER_PAGE, storeOutageMs: 60_000 };
      const enqueuer = track(enqueueRun({ pool: db.pool, queue, source, logger }, run.id, options));
      await waitFor("the enqueuer to ask for the held page", () => listing.requested.includes(HOLD_AT));

      await redis.stop("SIGKILL");
      listing.release();
      await waitFor("the enqueuer to say Redis is gone", () => {
        enqueuer.alive();
        // several tries, so "one line, not one per try" is put to the test
        return lines.filter((l) => l.msg.startsWith("redis still unreachable")).length >= 3;
      }, { timeoutMs: 20_000 });
      redis = await durableRedis(join(dir, "a"), redis.port);

      await enqueuer.settled;
      enqueuer.alive();
      expect(await getRun(db.pool, run.id)).toMatchObject({ status: "running", listed: PAGES * PER_PAGE, cursor: null });
      await expectEveryIdOnce(db.pool, queue, run.id, listing.ids);

      const gone = lines.filter((l) => l.msg.startsWith("redis unreachable"));
      const back = lines.filter((l) => l.msg.startsWith("redis is back"));
      expect(gone).toHaveLength(1);
      expect(gone[0]).toMatchObject({ level: WARN });
      expect(gone[0]?.msg).toMatch(/^redis unreachable, retrying for up to 60 s: .+/);
      expect(back).toHaveLength(1);
      expect(back[0]).toMatchObject({ level: INFO });
      expect(back[0]?.msg).toMatch(/^redis is back after \d+\.\d s$/);
    } finally {
      await source.close();
      await listing.close();
    }
  });

  it("gives up after STORE_OUTAGE_MS with a message naming Redis, leaves the run listing, and a resume finishes it", async () => {
    await redis?.stop();
    redis = await durableRedis(join(dir, "c"));
    const queue = await openQueue(redis.url);
    const listing = await startHeldListing(PAGES, PER_PAGE, HOLD_AT);
    const source = createHttpSource({ url: listing.url, connections: 2, maxPageBytes: 1024 * 1024 });
    const { logger, lines } = capturingLogger();
    try {
      const run = await createRun(db.pool, {});
      const options: EnqueueOptions = { ...OPTIONS, pageSize: PER_PAGE, storeOutageMs: 1_500 };
      const listingDone = enqueueRun({ pool: db.pool, queue, source, logger }, run.id, options);
      listingDone.catch(() => {});
      await waitFor("the enqueuer to ask for the held page", () => listing.requested.includes(HOLD_AT));
      await redis.stop("SIGKILL");
      listing.release();

      const err = await listingDone.then(
        () => new Error("the listing finished without Redis"),
        (e: unknown) => e as Error,
      );
      expect(err).toMatchObject({ kind: "store_unavailable", store: "redis" });
      expect(err.message).toMatch(/^redis unreachable for \d+(\.\d)? s, gave up: .+; the run keeps its checkpoint: porter resume /);
      expect((err as Error & { triedMs: number }).triedMs).toBeGreaterThanOrEqual(1_500);
      expect(lines.filter((l) => l.msg.startsWith("redis unreachable, retrying"))).toHaveLength(1);
      // The checkpoint is the held page's: the pages before it are in, nothing after it.
      expect(await getRun(db.pool, run.id)).toMatchObject({ status: "listing", cursor: HOLD_AT, listed: 7 * PER_PAGE });

      redis = await durableRedis(join(dir, "c"), redis.port);
      // The same producer connection: it reconnects by itself, and the resume's first calls wait for it.
      const resumed = await enqueueRun({ pool: db.pool, queue, source, logger }, run.id, options);
      expect(resumed).toMatchObject({ status: "running", listed: PAGES * PER_PAGE });
      await expectEveryIdOnce(db.pool, queue, run.id, listing.ids);
    } finally {
      await source.close();
      await listing.close();
    }
  });
});

describe("the enqueuer through a Postgres outage", () => {
  let pgServer: PrivatePostgres;
  let pool: pg.Pool;
  let tq: TestQueue;
  let connection: ReturnType<typeof createRedis>;
  let queue: ImportQueue;

  beforeAll(async () => {
    pgServer = await startPrivatePostgres();
    await migrateDatabase(pgServer.url("porter"));
    pool = createPool({ connectionString: pgServer.url("porter"), max: 4 });
    tq = createTestQueue("porter_pg_outage");
    connection = createRedis(REDIS_URL, { role: "producer" });
    queue = createImportQueue(connection, tq.prefix);
  });

  afterAll(async () => {
    await queue?.close();
    await connection?.quit();
    await tq?.drop();
    await pool?.end();
    await pgServer?.destroy();
  });

  it("finishes the listing when Postgres is stopped with -m immediate mid-listing and started again", async () => {
    const listing = await startHeldListing(PAGES, PER_PAGE, HOLD_AT);
    const source = createHttpSource({ url: listing.url, connections: 2, maxPageBytes: 1024 * 1024 });
    const { logger, lines } = capturingLogger();
    try {
      const run = await createRun(pool, {});
      const options: EnqueueOptions = { ...OPTIONS, pageSize: PER_PAGE, storeOutageMs: 60_000 };
      const enqueuer = track(enqueueRun({ pool, queue, source, logger }, run.id, options));
      await waitFor("the enqueuer to ask for the held page", () => listing.requested.includes(HOLD_AT));

      await pgServer.stop("immediate");
      listing.release();
      await waitFor("the enqueuer to say Postgres is gone", () => {
        enqueuer.alive();
        // several tries, so "one line, not one per try" is put to the test
        return lines.filter((l) => l.msg.startsWith("postgres still unreachable")).length >= 3;
      }, { timeoutMs: 20_000 });
      await pgServer.start();

      await enqueuer.settled;
      enqueuer.alive();
      expect(await getRun(pool, run.id)).toMatchObject({ status: "running", listed: PAGES * PER_PAGE, cursor: null });
      await expectEveryIdOnce(pool, queue, run.id, listing.ids);

      const gone = lines.filter((l) => l.msg.startsWith("postgres unreachable"));
      const back = lines.filter((l) => l.msg.startsWith("postgres is back"));
      expect(gone).toHaveLength(1);
      expect(gone[0]).toMatchObject({ level: WARN });
      expect(gone[0]?.msg).toMatch(/^postgres unreachable, retrying for up to 60 s: .+/);
      expect(back).toHaveLength(1);
      expect(back[0]).toMatchObject({ level: INFO });
    } finally {
      await source.close();
      await listing.close();
    }
  });
});
