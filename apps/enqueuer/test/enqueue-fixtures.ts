import type pg from "pg";
import type { Job } from "bullmq";
import type { ImportJobData, ImportQueue } from "@porter/queue";
import type { EnqueueOptions } from "../src/enqueue-run.js";

export const OPTIONS: EnqueueOptions = {
  pageSize: 3,
  highWater: 1_000,
  jobAttempts: 4,
  listTimeoutMs: 5_000,
  listAttempts: 2,
  backoffBaseMs: 10,
};

export interface LedgerEntry {
  id: string;
  legacy_id: string;
  status: string;
}

export async function ledgerOf(pool: pg.Pool, runId: string): Promise<LedgerEntry[]> {
  const { rows } = await pool.query("SELECT id, legacy_id, status FROM service_imports WHERE run_id = $1 ORDER BY legacy_id", [runId]);
  return rows as LedgerEntry[];
}

/** Every job in the queue, whatever its state. */
export async function allJobs(queue: ImportQueue): Promise<Job<ImportJobData, void, string>[]> {
  const jobs = await queue.getJobs(["waiting", "delayed", "prioritized", "active", "completed", "failed"]);
  return jobs.filter((j): j is Job<ImportJobData, void, string> => j !== undefined);
}
