import { Redis } from "ioredis";
import { REDIS_URL, uniqueName } from "./services.js";

export interface TestQueue {
  prefix: string;
  redis: Redis;
  /** Deletes every key under the prefix and closes the connection. */
  drop(): Promise<void>;
}

/** A queue prefix of its own for one test file, on the machine's Redis. */
export function createTestQueue(label = "porter_test"): TestQueue {
  const prefix = uniqueName(label);
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
  return {
    prefix,
    redis,
    async drop() {
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== "0");
      await redis.quit();
    },
  };
}
