import type { Redis } from "ioredis";
import type { Config } from "@porter/config";
import { createPool } from "@porter/db";
import type { Logger } from "@porter/logger";
import { createImportQueue, createRedis } from "@porter/queue";
import type { AttemptObserver } from "./attempt-observer.js";
import { startHealthServer, type HealthServer } from "./health-server.js";
import { createWorkerMetrics } from "./metrics.js";
import { HEALTH_CHECK_TIMEOUT_MS } from "./tuning.js";

export interface Observability {
  /** Hand to the processor: counts and times every attempt. */
  observer: AttemptObserver;
  /** Attempts running now. */
  inFlight(): number;
  /** Where /metrics, /healthz and /readyz answer; undefined if the port could not be had. */
  port: number | undefined;
  /** /readyz answers 503 from now on. */
  setStopping(): void;
  close(): Promise<void>;
}

/**
 * PING on a fail-fast connection. While it is not connected: the error that
 * keeps it down if there is one, else (its first connect still under way)
 * whatever comes first, ready or an error; the check's timeout bounds both.
 */
async function pingRedis(redis: Redis, lastError: () => Error | undefined): Promise<unknown> {
  if (redis.status !== "ready") {
    const known = lastError();
    if (known) throw known;
    await new Promise<void>((resolve, reject) => {
      const onReady = () => settle(resolve);
      const onError = (err: Error) => settle(() => reject(err));
      const settle = (then: () => void) => {
        redis.off("ready", onReady);
        redis.off("error", onError);
        then();
      };
      redis.once("ready", onReady);
      redis.once("error", onError);
    });
  }
  return redis.ping();
}

/**
 * Metrics and health for one worker process, on METRICS_PORT (0: any free
 * port; the bound port is logged). Probes and scrapes use connections of
 * their own — one fail-fast Redis connection, a one-connection Postgres pool —
 * so a busy worker pool never makes /readyz wait, and a dead Redis makes it
 * fail at once instead of queueing.
 *
 * A port already taken (several workers on one host with the same
 * METRICS_PORT) is logged as a warning and the worker runs on without the
 * endpoints: they are for watching the migration, not part of it.
 */
export async function startObservability(config: Config, logger: Logger): Promise<Observability> {
  const redis = createRedis(config.redisUrl, { role: "producer" });
  let redisError: Error | undefined;
  redis.on("error", (err) => {
    redisError = err;
    logger.debug({ err }, "metrics/health Redis connection error");
  });
  redis.on("ready", () => (redisError = undefined));
  const queue = createImportQueue(redis, config.queuePrefix);
  queue.on("error", (err) => logger.debug({ err }, "metrics/health queue error"));
  const pool = createPool({
    connectionString: config.databaseUrl,
    max: 1,
    statementTimeoutMs: HEALTH_CHECK_TIMEOUT_MS,
    applicationName: "porter-worker-health",
  });
  const metrics = createWorkerMetrics({ queue, logger });
  const closeConnections = async () => {
    await queue.close().catch(() => {});
    await Promise.allSettled([pool.end(), redis.quit()]);
  };

  let server: HealthServer | undefined;
  try {
    server = await startHealthServer({
      port: config.metricsPort,
      registry: metrics.registry,
      checkTimeoutMs: HEALTH_CHECK_TIMEOUT_MS,
      checks: {
        redis: () => pingRedis(redis, () => redisError),
        postgres: () => pool.query("SELECT 1"),
      },
    });
    logger.info({ metricsPort: server.port }, `metrics and health on port ${server.port}: /metrics, /healthz, /readyz`);
  } catch (err) {
    logger.warn(
      { err, metricsPort: config.metricsPort },
      `cannot serve metrics and health on port ${config.metricsPort}; running without them ` +
        "(give each worker on one host its own METRICS_PORT, or 0 for any free port)",
    );
    await closeConnections();
  }

  return {
    observer: metrics.observer,
    inFlight: metrics.inFlight,
    port: server?.port,
    setStopping: () => server?.setStopping(),
    async close() {
      if (!server) return;
      await server.close();
      await closeConnections();
    },
  };
}
