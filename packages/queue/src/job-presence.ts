import type { Redis } from "ioredis";
import { CHUNK_JOB_ID_PREFIX, type ImportQueue } from "./import-queue.js";
import { jobIdsIn } from "./job-lists.js";
import { CHUNK_JOB_NAME, type ChunkJobData } from "./names.js";
import { REDIS_CHUNK } from "./tuning.js";

/** Where a job stands, as far as the reconciler cares. */
export type JobPresence = "missing" | "failed" | "present";

/**
 * For each ledger id: `present` when a job will still attempt its document
 * (its own job waiting, delayed, prioritized or active, or a chunk job that
 * holds it and has not finished), `failed` when its own job sits in the
 * failed set, else `missing`: gone (flushed, deleted by hand, removed) or the
 * remains of a job whose keys were deleted while a worker wrote to it (a
 * hash without `data`). One pipeline of HEXISTS + ZSCORE for the whole list;
 * the chunk jobs are read only when some id has no job of its own.
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
  if ([...presence.values()].includes("missing")) {
    // Read after the ids' own jobs: a chunk that finishes meanwhile has given
    // each of its documents a job of its own, or a final status, first.
    const inChunks = await chunkMembers(queue, redis);
    for (const [id, state] of presence) if (state === "missing" && inChunks.has(id)) presence.set(id, "present");
  }
  return presence;
}

/**
 * The ledger ids held by chunk jobs that have not finished (jobIdsIn reads
 * their ids atomically); the queue is bounded by the high-water mark, so
 * this is a few hundred jobs' data.
 */
export async function chunkMembers(queue: ImportQueue, redis: Redis): Promise<Set<string>> {
  const unfinished = await jobIdsIn(queue, redis, ["delayed", "prioritized", "wait", "paused", "active"]);
  const jobIds = new Set(unfinished.filter((id) => id.startsWith(CHUNK_JOB_ID_PREFIX)));
  const members = new Set<string>();
  const all = [...jobIds];
  for (let start = 0; start < all.length; start += REDIS_CHUNK) {
    const batch = all.slice(start, start + REDIS_CHUNK);
    const read = redis.pipeline();
    for (const id of batch) read.hmget(queue.toKey(id), "name", "data");
    for (const [err, fields] of (await read.exec()) ?? []) {
      if (err) throw err;
      const [name, data] = fields as [string | null, string | null];
      if (name !== CHUNK_JOB_NAME || data === null) continue;
      try {
        for (const doc of (JSON.parse(data) as ChunkJobData).documents ?? []) members.add(doc.id);
      } catch {
        // Not one of ours: leave it.
      }
    }
  }
  return members;
}
