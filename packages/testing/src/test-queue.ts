import { Redis } from "ioredis";
import { REDIS_URL, uniqueName } from "./services.js";

export interface TestQueue {
  prefix: string;
  redis: Redis;
  /**
   * Deletes every key under the prefix at once and returns how many: for this
   * queue the same as a FLUSHALL, without touching the queues of test files
   * running in parallel on the same Redis. One Lua script finds the keys (SCAN)
   * and deletes them, so nothing runs in between: a SCAN first and a DEL later
   * let a job added meanwhile keep its hash while the wait list holding it was
   * deleted, an orphan no FLUSHALL can make.
   */
  clear(): Promise<number>;
  /** Deletes every key under the prefix and closes the connection. */
  drop(): Promise<void>;
}

/** SCAN + DEL of every key matching ARGV[1], in one script: atomic, as FLUSHALL is. */
const CLEAR = `
local cursor, deleted = "0", 0
repeat
  local reply = redis.call("SCAN", cursor, "MATCH", ARGV[1], "COUNT", 1000)
  cursor = reply[1]
  for _, key in ipairs(reply[2]) do deleted = deleted + redis.call("DEL", key) end
until cursor == "0"
return deleted`;

/** A queue prefix of its own for one test file, on the machine's Redis. */
export function createTestQueue(label = "porter_test"): TestQueue {
  const prefix = uniqueName(label);
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
  const clear = async () => Number(await redis.eval(CLEAR, 0, `${prefix}:*`));
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
