import { Redis } from "ioredis";
import { REDIS_URL, uniqueName } from "./services.js";

export interface TestQueue {
  prefix: string;
  redis: Redis;
  /**
   * Deletes every key under the prefix at once and returns how many: for this
   * queue the same as a FLUSHALL, without touching the queues of test files
   * running in parallel on the same Redis. The keys are found with SCAN, then
   * deleted in one MULTI, so no worker runs a script between two deletes (as
   * with FLUSHALL; a key created after the SCAN counts as created after the flush).
   */
  clear(): Promise<number>;
  /** Deletes every key under the prefix and closes the connection. */
  drop(): Promise<void>;
}

/** A queue prefix of its own for one test file, on the machine's Redis. */
export function createTestQueue(label = "porter_test"): TestQueue {
  const prefix = uniqueName(label);
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
  const clear = async () => {
    const keys = new Set<string>();
    let cursor = "0";
    do {
      const [next, found] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      for (const key of found) keys.add(key);
    } while (cursor !== "0");
    if (keys.size === 0) return 0;
    const all = [...keys];
    const multi = redis.multi();
    for (let i = 0; i < all.length; i += 1000) multi.del(...all.slice(i, i + 1000));
    const results = (await multi.exec()) ?? [];
    return results.reduce((sum, [err, n]) => {
      if (err) throw err;
      return sum + Number(n);
    }, 0);
  };
  return {
    prefix,
    redis,
    clear,
    async drop() {
      await clear();
      await redis.quit();
    },
  };
}
