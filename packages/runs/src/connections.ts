import type { Config } from "@porter/config";
import { createPool } from "@porter/db";
import { createImportQueue, createRedis, type ImportQueue, type RedisConnection } from "@porter/queue";
import { createHttpSource, type Source } from "@porter/source";
import type pg from "pg";

/**
 * What an operator process (a CLI command, the dashboard) talks to: the
 * ledger, Redis and the queue on it, and the legacy service. Each is opened
 * on first use, so `porter status` never connects to Redis and the
 * dashboard never to the legacy service; `close()` closes what was opened.
 */
export interface Connections {
  readonly pool: pg.Pool;
  /** The page archive's database: `pool` itself unless ARCHIVE_DATABASE_URL names another. */
  readonly archive: pg.Pool;
  readonly redis: RedisConnection;
  readonly queue: ImportQueue;
  readonly source: Source;
  close(): Promise<void>;
}

export interface ConnectionOptions {
  /** Postgres application_name, as pg_stat_activity shows it ("porter-cli"). */
  applicationName: string;
  /** Postgres connections at most; default 2. */
  poolSize?: number;
  /** HTTP connections to the legacy service; default 1 (one listing at a time). */
  sourceConnections?: number;
}

/** Opens, from the configuration, the stores and the legacy service an operator command needs. */
export function openConnections(config: Config, options: ConnectionOptions): Connections {
  let pool: pg.Pool | undefined;
  let archive: pg.Pool | undefined;
  let redis: RedisConnection | undefined;
  let queue: ImportQueue | undefined;
  let source: Source | undefined;
  const connections: Connections = {
    get pool() {
      return (pool ??= createPool({
        connectionString: config.databaseUrl,
        max: options.poolSize ?? 2,
        applicationName: options.applicationName,
      }));
    },
    get archive() {
      if (config.archiveDatabaseUrl === undefined) return connections.pool;
      return (archive ??= createPool({
        connectionString: config.archiveDatabaseUrl,
        max: options.poolSize ?? 2,
        applicationName: options.applicationName,
      }));
    },
    get redis() {
      // Producers fail fast: a dead Redis is an error, not a wait.
      return (redis ??= createRedis(config.redisUrl, { role: "producer" }));
    },
    get queue() {
      return (queue ??= createImportQueue(connections.redis, config.queuePrefix));
    },
    get source() {
      return (source ??= createHttpSource({
        url: config.legacyUrl,
        token: config.legacyToken,
        connections: options.sourceConnections ?? 1,
        maxPageBytes: config.maxPageBytes,
        idleTimeoutMs: config.fetchIdleTimeoutMs,
      }));
    },
    async close() {
      // The queue and the source first: they use the connections below.
      await Promise.allSettled([queue?.close(), source?.close()]);
      await Promise.allSettled([pool?.end(), archive?.end(), redis?.quit()]);
    },
  };
  return connections;
}
