import type { Queryable } from "../pool.js";

/** Documents that ended in one interval of a run. */
export interface ThroughputBucket {
  /** Seconds from the run's start to the interval's start. */
  fromSeconds: number;
  /** Succeeded or skipped. */
  finished: number;
  failed: number;
}

export interface RunThroughput {
  /** Width of every interval, in seconds. */
  intervalSeconds: number;
  /** Every interval from the start to the last document's end, empty ones included. */
  buckets: ThroughputBucket[];
}

/**
 * A run's documents ended per interval, from the ledger's end times, so it
 * is true whoever followed the run and after any restart: at most `count`
 * intervals of whole seconds over the run's time so far. It reads every row
 * of the run that ended (a dashboard page loads it once, not every refresh).
 * $1 run id, $2 the interval in seconds.
 */
export async function runThroughput(db: Queryable, runId: string, count = 60): Promise<RunThroughput> {
  const span = await db.query<{ seconds: number | null }>(
    `SELECT extract(epoch FROM coalesce(finished_at, now()) - started_at)::float8 AS seconds FROM import_runs WHERE id = $1`,
    [runId],
  );
  const seconds = Math.max(1, span.rows[0]?.seconds ?? 1);
  const intervalSeconds = Math.max(1, Math.ceil(seconds / count));
  const { rows } = await db.query<{ bucket: number; finished: number; failed: number }>(
    `SELECT floor(extract(epoch FROM s.finished_at - r.started_at) / $2)::int AS bucket,
            count(*) FILTER (WHERE s.status IN ('succeeded', 'skipped'))::int AS finished,
            count(*) FILTER (WHERE s.status = 'failed')::int AS failed
       FROM import_runs r JOIN service_imports s ON s.run_id = r.id
      WHERE r.id = $1 AND s.finished_at IS NOT NULL AND s.status IN ('succeeded', 'skipped', 'failed')
      GROUP BY 1 ORDER BY 1`,
    [runId, intervalSeconds],
  );
  const last = Math.max(0, ...rows.map((r) => r.bucket));
  const buckets: ThroughputBucket[] = Array.from({ length: last + 1 }, (_, i) => ({ fromSeconds: i * intervalSeconds, finished: 0, failed: 0 }));
  for (const r of rows) {
    // A row that ended before its run's start (a clock step) counts in the first interval.
    const b = buckets[Math.max(0, r.bucket)] as ThroughputBucket;
    b.finished += r.finished;
    b.failed += r.failed;
  }
  return { intervalSeconds, buckets: rows.length === 0 ? [] : buckets };
}
