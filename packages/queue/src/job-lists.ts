import type { Redis } from "ioredis";
import type { ImportQueue } from "./import-queue.js";

/** The job lists of the queue that hold jobs not yet finished. */
export type UnfinishedState = "delayed" | "prioritized" | "wait" | "paused" | "active";

/**
 * The ids of the jobs in `states`, read in one MULTI, in the order a job
 * moves (delayed → prioritized/waiting → active), so an atomic read sees each
 * such job once. The queue is bounded by the high-water mark: a few thousand ids.
 */
export async function jobIdsIn(queue: ImportQueue, redis: Redis, states: readonly UnfinishedState[]): Promise<string[]> {
  const keys = queue.keys as Record<string, string>;
  const multi = redis.multi();
  for (const state of states) {
    const key = keys[state] as string;
    if (state === "delayed" || state === "prioritized") multi.zrange(key, 0, -1);
    else multi.lrange(key, 0, -1);
  }
  const ids: string[] = [];
  for (const [err, listed] of (await multi.exec()) ?? []) {
    if (err) throw err;
    ids.push(...(listed as string[]));
  }
  return ids;
}
