import type { Redis } from "ioredis";
import type { ImportQueue } from "./import-queue.js";
import { REDIS_CHUNK } from "./tuning.js";

export interface RemovedJobs {
  /** Jobs of the run removed from Redis (waiting, delayed, prioritized, failed). */
  removed: number;
  /**
   * Jobs of the run a worker holds right now. BullMQ cannot remove a locked
   * job; each ends within its attempt's timeout, and the loader refuses a
   * ledger row that is `rolled_back`, so such a job writes nothing. Call
   * again once they are done to remove what they left (a retry, a failure).
   */
  active: number;
}

/**
 * Removes every job of one run that is not being worked on, for a rollback.
 * Lists the ids of the waiting, delayed, prioritized, failed and active jobs
 * (the whole queue is bounded by QUEUE_HIGH_WATER plus the FAILED_JOBS_KEPT failed
 * jobs), reads each job's data in pipelines of REDIS_CHUNK to pick the run's, and
 * removes those. A job that a worker takes meanwhile counts as active.
 */
export async function removeRunJobs(queue: ImportQueue, redis: Redis, runId: string): Promise<RemovedJobs> {
  // The raw pipelines below do not wait for a producer connection (no offline queue); BullMQ's calls do.
  await queue.waitUntilReady();
  const active = new Set(await queue.getRanges(["active"], 0, -1, true));
  const others = (await queue.getRanges(["waiting", "delayed", "prioritized", "failed"], 0, -1, true)).filter(
    (id) => !active.has(id),
  );
  let removed = 0;
  let busy = (await ofRun(queue, redis, [...active], runId)).length;
  for (let start = 0; start < others.length; start += REDIS_CHUNK) {
    const mine = await ofRun(queue, redis, others.slice(start, start + REDIS_CHUNK), runId);
    const codes = await Promise.all(mine.map((id) => queue.remove(id, { removeChildren: false })));
    for (const code of codes) {
      // 0: locked, i.e. a worker took the job between the listing and the removal.
      if (code === 1) removed++;
      else busy++;
    }
  }
  return { removed, active: busy };
}

/** The ids among `ids` whose job data names `runId` (a job gone meanwhile is skipped). */
async function ofRun(queue: ImportQueue, redis: Redis, ids: string[], runId: string): Promise<string[]> {
  const mine: string[] = [];
  for (let start = 0; start < ids.length; start += REDIS_CHUNK) {
    const chunk = ids.slice(start, start + REDIS_CHUNK);
    const pipeline = redis.pipeline();
    for (const id of chunk) pipeline.hget(queue.toKey(id), "data");
    const results = (await pipeline.exec()) ?? [];
    chunk.forEach((id, i) => {
      const [err, data] = results[i] ?? [null, null];
      if (err) throw err;
      if (typeof data !== "string") return;
      try {
        if ((JSON.parse(data) as { runId?: unknown }).runId === runId) mine.push(id);
      } catch {
        // Not one of ours (a job added by hand with other data): leave it.
      }
    });
  }
  return mine;
}
