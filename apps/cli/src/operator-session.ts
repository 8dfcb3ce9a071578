import type { Config } from "@porter/config";
import { createPool, getRun, type Run } from "@porter/db";
import { createImportQueue, createRedis, type ImportQueue, type RedisConnection } from "@porter/queue";
import type pg from "pg";
import { UsageError } from "./exit-codes.js";

/** The ledger, and the queue when a command changes jobs: what the operator commands open. */
export interface OperatorSession {
  pool: pg.Pool;
  redis: RedisConnection;
  queue: ImportQueue;
  close(): Promise<void>;
}

export function openOperatorSession(config: Config): OperatorSession {
  const pool = createPool({ connectionString: config.databaseUrl, max: 2, applicationName: "porter-cli" });
  const redis = createRedis(config.redisUrl, { role: "producer" });
  const queue = createImportQueue(redis, config.queuePrefix);
  return {
    pool,
    redis,
    queue,
    async close() {
      await Promise.allSettled([queue.close()]);
      await Promise.allSettled([pool.end(), redis.quit()]);
    },
  };
}

/** The run, or a UsageError (exit 2) naming the id and the database. */
export async function requireRun(pool: pg.Pool, config: Config, id: string | "latest"): Promise<Run> {
  const run = await getRun(pool, id);
  if (run) return run;
  const database = new URL(config.databaseUrl).pathname.slice(1);
  throw new UsageError(id === "latest" ? `no run yet in ${database}` : `no run ${id} in ${database}`);
}
