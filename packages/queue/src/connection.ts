import { Redis } from "ioredis";
import { PRODUCER_MAX_RETRIES } from "./tuning.js";

export interface RedisOptions {
  /**
   * Workers and the queue events reader block on Redis and must wait out a
   * Redis restart rather than fail (BullMQ needs `maxRetriesPerRequest: null`);
   * producers fail fast so a dead Redis becomes a clear error.
   */
  role: "worker" | "producer";
}

export function createRedis(url: string, options: RedisOptions): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: options.role === "worker" ? null : PRODUCER_MAX_RETRIES,
    enableOfflineQueue: options.role === "worker",
    connectionName: `porter-${options.role}`,
  });
}

/** The connection type the queue helpers take, for packages that do not depend on ioredis. */
export type RedisConnection = Redis;
