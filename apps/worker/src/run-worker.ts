import type { Config } from "@porter/config";
import { createPool } from "@porter/db";
import type { Logger } from "@porter/logger";
import { createRedis } from "@porter/queue";
import { createHttpSource } from "@porter/source";
import { createImportWorker } from "./create-worker.js";

/**
 * The worker process: builds its connections, runs until SIGTERM/SIGINT,
 * then stops taking jobs, lets in-flight ones finish within
 * SHUTDOWN_GRACE_MS (what does not finish is handed back by BullMQ's stalled
 * check), and closes Redis, Postgres and the HTTP pool. A second signal
 * exits at once.
 */
export async function runWorker(config: Config, logger: Logger): Promise<void> {
  const connection = createRedis(config.redisUrl, { role: "worker" });
  const pool = createPool({
    connectionString: config.databaseUrl,
    max: Math.min(config.workerConcurrency, 20),
    statementTimeoutMs: config.jobTimeoutMs,
    applicationName: "porter-worker",
  });
  const source = createHttpSource({
    url: config.legacyUrl,
    token: config.legacyToken,
    connections: config.workerConcurrency,
    maxPageBytes: config.maxPageBytes,
  });
  const worker = createImportWorker({ config, logger, connection, pool, source });

  let stopping: Promise<void> | undefined;
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    logger.info({ signal, graceMs: config.shutdownGraceMs }, "stopping: finishing in-flight jobs");
    stopping = shutdown();
  };
  const shutdown = async () => {
    const graceful = worker.close();
    const timer = new Promise<"timeout">((resolve) => setTimeout(resolve, config.shutdownGraceMs, "timeout").unref());
    if ((await Promise.race([graceful, timer])) === "timeout") {
      logger.warn("grace period over: closing with jobs in flight; they will be handed to other workers");
      await worker.close(true);
    }
    await Promise.allSettled([source.close(), pool.end(), connection.quit()]);
    logger.info("stopped");
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));

  await worker.waitUntilReady();
  logger.info({ concurrency: config.workerConcurrency, queuePrefix: config.queuePrefix }, "worker started");
  await worker.run();
  await stopping;
}
