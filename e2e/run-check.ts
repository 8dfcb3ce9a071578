import type pg from "pg";
import type { Redis } from "ioredis";
import { REDIS_URL, waitFor, type PorterProcess, type TestDatabase, type TestQueue } from "@porter/testing";

/** What `porter run --follow --json` and `porter resume --follow --json` print. */
export interface Summary {
  runId: string;
  status: string;
  listed: number;
  succeeded: number;
  failed: number;
  durationMs: number;
  docsPerSecond: number;
}

export function parseSummary(stdout: string): Summary {
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as Summary;
}

/**
 * The environment of every process of an end-to-end test: its own database
 * and queue prefix, short timeouts so recovery happens within a test, and a
 * reconciler that looks every half second with a 2 s grace.
 */
export function e2eEnv(
  db: TestDatabase,
  queue: TestQueue,
  legacyUrl: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    DATABASE_URL: db.url,
    REDIS_URL,
    QUEUE_PREFIX: queue.prefix,
    LEGACY_URL: legacyUrl,
    WORKER_CONCURRENCY: "20",
    JOB_TIMEOUT_MS: "3000",
    JOB_ATTEMPTS: "5",
    BACKOFF_BASE_MS: "200",
    STALLED_INTERVAL_MS: "2000",
    LIST_PAGE_SIZE: "100",
    QUEUE_HIGH_WATER: "300",
    SHUTDOWN_GRACE_MS: "5000",
    RECONCILE_INTERVAL_MS: "500",
    RECONCILE_GRACE_MS: "2000",
    ...extra,
  };
}

/** The run id an enqueuer (`porter run`) or `porter resume` announces on stderr. */
export function waitForRunId(enqueuer: PorterProcess): Promise<string> {
  return waitFor(
    "the run to start",
    () => {
      if (enqueuer.child.exitCode !== null) throw new Error(`the enqueuer exited: ${enqueuer.stderr()}`);
      return /run ([0-9a-f-]{36}) (started|resumed)/.exec(enqueuer.stderr())?.[1];
    },
    { timeoutMs: 60_000 },
  );
}

/** A run's ledger rows by status (every status present, 0 when none). */
export interface LedgerCounts {
  pending: number;
  running: number;
  succeeded: number;
  failed: number;
  rolled_back: number;
}

export async function ledgerCounts(pool: pg.Pool, runId: string): Promise<LedgerCounts> {
  const { rows } = await pool.query<{ status: string; n: number }>(
    "SELECT status, count(*)::int AS n FROM service_imports WHERE run_id = $1 GROUP BY status",
    [runId],
  );
  const counts: LedgerCounts = { pending: 0, running: 0, succeeded: 0, failed: 0, rolled_back: 0 };
  for (const row of rows) counts[row.status as keyof LedgerCounts] = row.n;
  return counts;
}

export interface RunRow {
  status: string;
  listed: number;
  finished: boolean;
  /** finished_at as text, full precision; null while not finished. */
  finishedAt: string | null;
}

export async function runRow(pool: pg.Pool, runId: string): Promise<RunRow> {
  const { rows } = await pool.query<RunRow>(
    `SELECT status, listed, finished_at IS NOT NULL AS finished, finished_at::text AS "finishedAt"
       FROM import_runs WHERE id = $1`,
    [runId],
  );
  if (!rows[0]) throw new Error(`no run ${runId}`);
  return rows[0];
}

/** Waits until at least `n` documents of the run succeeded. */
export async function waitForSucceeded(pool: pg.Pool, runId: string, n: number, timeoutMs = 120_000): Promise<void> {
  await waitFor(
    `${n} documents of run ${runId} to succeed`,
    async () => (await ledgerCounts(pool, runId)).succeeded >= n,
    { timeoutMs, intervalMs: 100 },
  );
}

/** Ids of the BullMQ jobs of `runId` still in Redis under `prefix`, in any state (a SCAN of the job hashes). */
export async function jobsOfRun(redis: Redis, prefix: string, runId: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:imports:*`, "COUNT", 1000);
    cursor = next;
    for (const key of keys) {
      if ((await redis.type(key)) !== "hash") continue;
      const data = await redis.hget(key, "data");
      if (data === null) continue;
      if ((JSON.parse(data) as { runId?: string }).runId === runId) found.push(key.slice(`${prefix}:imports:`.length));
    }
  } while (cursor !== "0");
  return found;
}

/** Documents in the target, and how many carry each run id. */
export async function documentsByRun(pool: pg.Pool): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ run_id: string; n: number }>(
    "SELECT run_id, count(*)::int AS n FROM documents GROUP BY run_id",
  );
  return Object.fromEntries(rows.map((r) => [r.run_id, r.n]));
}
