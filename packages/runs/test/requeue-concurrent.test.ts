import type pg from "pg";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool, createRun, recordListedPage, requeueFailed } from "@porter/db";
import { createImportQueue, createRedis, type ImportQueue } from "@porter/queue";
import { createTestDatabase, createTestQueue, REDIS_URL, type TestDatabase, type TestQueue } from "@porter/testing";
import { requeueRun } from "../src/requeue-run.js";

// Two operators requeue the same run at the same moment (two `porter requeue`,
// or the CLI and the dashboard): each must report only the rows it moved from
// `failed` to `pending` itself, and add jobs only for those. Each side has a
// pool of its own, as two processes would.
const ROWS = 400;

/** Every job in the queue, whatever its state. */
async function allJobs(queue: ImportQueue) {
  const jobs = await queue.getJobs(["waiting", "delayed", "prioritized", "active", "completed", "failed"]);
  return jobs.filter((j) => j !== undefined);
}
const ROUNDS = 15;

let db: TestDatabase;
let tq: TestQueue;
let connection: Redis;
let queue: ImportQueue;
let poolA: pg.Pool;
let poolB: pg.Pool;
let runId: string;

beforeAll(async () => {
  db = await createTestDatabase("porter_requeue_concurrent");
  tq = createTestQueue("porter_requeue_concurrent");
  connection = createRedis(REDIS_URL, { role: "producer" });
  queue = createImportQueue(connection, tq.prefix);
  poolA = createPool({ connectionString: db.url, max: 2, applicationName: "requeue-a" });
  poolB = createPool({ connectionString: db.url, max: 2, applicationName: "requeue-b" });
  const run = await createRun(db.pool, {});
  runId = run.id;
  await recordListedPage(
    db.pool,
    runId,
    Array.from({ length: ROWS }, (_, i) => `doc-${i}`),
  );
});

afterAll(async () => {
  await Promise.allSettled([poolA?.end(), poolB?.end()]);
  await queue?.close();
  await connection?.quit();
  await tq?.drop();
  await db?.drop();
});

/**
 * Every row of the run failed for good (every other one `not_found`, the rest
 * `invalid_json`), the run completed and no job left in Redis: the state after
 * a run with failures.
 */
async function failEverything(): Promise<void> {
  await tq.clear();
  await db.pool.query(
    `UPDATE service_imports
        SET status = 'failed', attempts = 1, error_stage = 'fetch', last_error = 'gone', finished_at = now(),
            error_kind = CASE WHEN substring(legacy_id FROM 5)::int % 2 = 0 THEN 'not_found' ELSE 'invalid_json' END
      WHERE run_id = $1`,
    [runId],
  );
  await db.pool.query("UPDATE import_runs SET status = 'completed', finished_at = now() WHERE id = $1", [runId]);
}

async function statusCounts(): Promise<Record<string, number>> {
  const { rows } = await db.pool.query<{ status: string; n: number }>(
    "SELECT status::text, count(*)::int AS n FROM service_imports WHERE run_id = $1 GROUP BY 1",
    [runId],
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

describe("two requeues of one run at the same time", () => {
  it("requeueFailed: the two statements return disjoint rows that together are every failed row", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      await failEverything();
      const [a, b] = await Promise.all([requeueFailed(poolA, runId), requeueFailed(poolB, runId)]);
      const ids = [...a, ...b].map((r) => r.id);
      expect(new Set(ids).size, `round ${round}: ${a.length} + ${b.length} rows returned`).toBe(ids.length);
      expect(ids.length, `round ${round}: ${a.length} + ${b.length} rows returned`).toBe(ROWS);
      expect(await statusCounts()).toEqual({ pending: ROWS });
    }
  }, 120_000);

  it("requeueFailed: one of every kind beside one of a kind, the rows still disjoint", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      await failEverything();
      const [all, notFound] = await Promise.all([requeueFailed(poolA, runId), requeueFailed(poolB, runId, "not_found")]);
      const ids = [...all, ...notFound].map((r) => r.id);
      expect(new Set(ids).size, `round ${round}: ${all.length} + ${notFound.length} rows returned`).toBe(ids.length);
      expect(ids.length).toBe(ROWS);
      expect(notFound.length).toBeLessThanOrEqual(ROWS / 2);
      expect(await statusCounts()).toEqual({ pending: ROWS });
    }
  }, 120_000);

  it("requeueRun: the two reported counts add up to the failed rows, one job each", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      await failEverything();
      const [a, b] = await Promise.all([
        requeueRun({ pool: poolA, queue, redis: connection }, runId, { jobAttempts: 3 }),
        requeueRun({ pool: poolB, queue, redis: connection }, runId, { jobAttempts: 3 }),
      ]);
      expect(a.requeued + b.requeued, `round ${round}: reported ${a.requeued} and ${b.requeued}`).toBe(ROWS);
      const jobs = await allJobs(queue);
      expect(jobs.length).toBe(ROWS);
      expect(new Set(jobs.map((j) => j.id)).size).toBe(ROWS);
      expect(await statusCounts()).toEqual({ pending: ROWS });
    }
  }, 120_000);
});
