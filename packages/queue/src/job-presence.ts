import type { Redis } from "ioredis";
import type { ImportQueue } from "./import-queue.js";

/** Where a job stands, as far as the reconciler cares. */
export type JobPresence = "missing" | "failed" | "present";

/**
 * For each job id: `missing` when its hash (`{prefix}:imports:{id}`) has no
 * `data` field — it is gone (flushed, deleted by hand, removed) or is the
 * remains of a job whose keys were deleted while a worker wrote to it —
 * `failed` when it sits in the failed set, else `present` (waiting, delayed,
 * prioritized or active). One pipeline of HEXISTS + ZSCORE for the whole
 * list: cheap for thousands of ids.
 */
export async function jobPresence(queue: ImportQueue, redis: Redis, ids: readonly string[]): Promise<Map<string, JobPresence>> {
  const presence = new Map<string, JobPresence>();
  if (ids.length === 0) return presence;
  // The raw pipelines below do not wait for a producer connection (no offline queue); BullMQ's calls do.
  await queue.waitUntilReady();
  const pipeline = redis.pipeline();
  for (const id of ids) {
    pipeline.hexists(queue.toKey(id), "data");
    pipeline.zscore(queue.keys.failed as string, id);
  }
  const results = (await pipeline.exec()) ?? [];
  ids.forEach((id, i) => {
    const [dataErr, hasData] = results[2 * i] ?? [null, 0];
    const [scoreErr, score] = results[2 * i + 1] ?? [null, null];
    if (dataErr) throw dataErr;
    if (scoreErr) throw scoreErr;
    presence.set(id, hasData === 0 ? "missing" : score !== null ? "failed" : "present");
  });
  return presence;
}
