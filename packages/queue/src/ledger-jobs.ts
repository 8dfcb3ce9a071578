import type { Redis } from "ioredis";
import { importJob, type ImportQueue, type JobPolicy, type LedgerJob } from "./import-queue.js";
import { REDIS_CHUNK } from "./tuning.js";

/**
 * Adds one job per ledger row, in chunks of REDIS_CHUNK (one addBulk each), with
 * the options every import job has.
 *
 * BullMQ ignores an add whose job id already exists, in any state. That is
 * what makes enqueueing idempotent, but a failed job kept in the failed set
 * (removeOnFail keeps the last FAILED_JOBS_KEPT) would silently swallow the new one, and
 * so would the remains of a job whose keys were deleted by hand while a
 * worker still wrote to it (a hash without its data). So the rows' ids are
 * first looked up (one pipeline per chunk) and such jobs removed; a job
 * waiting, delayed or active stays as it is and its add is a no-op, which is
 * what we want. Returns how many rows were queued and how many jobs were replaced.
 */
export async function addLedgerJobs(
  queue: ImportQueue,
  redis: Redis,
  rows: readonly LedgerJob[],
  policy: JobPolicy,
): Promise<{ queued: number; replaced: number }> {
  // The raw pipelines below do not wait for a producer connection (no offline queue); BullMQ's calls do.
  await queue.waitUntilReady();
  let replaced = 0;
  for (let start = 0; start < rows.length; start += REDIS_CHUNK) {
    const chunk = rows.slice(start, start + REDIS_CHUNK);
    const dead = await deadJobs(queue, redis, chunk.map((r) => r.id));
    const removed = await Promise.all(dead.map((id) => queue.remove(id, { removeChildren: false })));
    replaced += removed.filter((code) => code === 1).length;
    await queue.addBulk(chunk.map((row) => importJob(row, policy)));
  }
  return { queued: rows.length, replaced };
}

/** The ids whose job is in the failed set, or is a hash without data. */
async function deadJobs(queue: ImportQueue, redis: Redis, ids: string[]): Promise<string[]> {
  const pipeline = redis.pipeline();
  for (const id of ids) {
    pipeline.zscore(queue.keys.failed as string, id);
    pipeline.exists(queue.toKey(id));
    pipeline.hexists(queue.toKey(id), "data");
  }
  const results = (await pipeline.exec()) ?? [];
  const value = (k: number): unknown => {
    const [err, v] = results[k] ?? [null, null];
    if (err) throw err;
    return v;
  };
  return ids.filter((_, i) => value(3 * i) !== null || (value(3 * i + 1) === 1 && value(3 * i + 2) === 0));
}
