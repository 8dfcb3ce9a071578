import type { Config } from "@porter/config";
import { createPool } from "@porter/db";
import type { Logger } from "@porter/logger";
import { checkEvictionPolicy, createRedis, watchRedis } from "@porter/queue";
import { createHttpSource } from "@porter/source";
import { createImportWorker } from "./create-worker.js";
import { createRunSources } from "./run-sources.js";
import { startObservability } from "./observability.js";
import { Reconciler } from "./reconciler.js";

import { ARCHIVE_POOL_MAX, WORKER_POOL_MAX } from "./tuning.js";
import { waitForDatabase } from "./wait-for-database.js";

/**
 * The worker process: builds its connections, runs until SIGTERM/SIGINT,
 * then stops taking jobs, lets in-flight ones finish within
 * SHUTDOWN_GRACE_MS, and closes Redis, Postgres and the HTTP pool (exit
 * code 0). When the grace period runs out first it exits at once (code 1):
 * the jobs still in flight keep no lock and BullMQ's stalled check hands them
 * to other workers. A second signal exits at once (code 1).
 *
 * Alongside: metrics and health on METRICS_PORT (observability.ts), and a
 * loud warning when Redis may evict keys.
 */
export async function runWorker(config: Config, logger: Logger): Promise<void> {
  const connection = createRedis(config.redisUrl, { role: "worker" });
  watchRedis(connection, config.redisUrl, logger);
  const pool = createPool({
    connectionString: config.databaseUrl,
    max: Math.min(config.workerConcurrency, WORKER_POOL_MAX),
    statementTimeoutMs: config.jobTimeoutMs,
    applicationName: "porter-worker",
  });
  // The token, limits and timeouts are this process's; the URL is a run's (see createRunSources).
  const openLegacy = (url: string) =>
    createHttpSource({
      url,
      token: config.legacyToken,
      connections: config.workerConcurrency,
      maxPageBytes: config.maxPageBytes,
      idleTimeoutMs: config.fetchIdleTimeoutMs,
    });
  const source = openLegacy(config.legacyUrl);
  // The archive's own database, when it has one: a few connections, a short insert per page.
  const archiveStore =
    config.archiveDatabaseUrl === undefined
      ? undefined
      : createPool({
          connectionString: config.archiveDatabaseUrl,
          max: Math.min(config.workerConcurrency, ARCHIVE_POOL_MAX),
          statementTimeoutMs: config.jobTimeoutMs,
          applicationName: "porter-worker-archive",
        });
  const sources = createRunSources({
    pool,
    legacy: source,
    legacyAt: { url: config.legacyUrl, open: openLegacy, logger },
    archive: archiveStore ?? pool,
    keepPages: config.archive,
  });
  // Before waiting for Redis, so /readyz can say that Redis is what is missing.
  const observability = await startObservability(config, logger);
  void checkEvictionPolicy(connection, logger);
  const worker = createImportWorker({
    config,
    logger,
    connection,
    pool,
    source,
    sources,
    archiveStore,
    observer: observability.observer,
  });
  const reconciler = new Reconciler({ config, logger, pool });

  let stopping: Promise<void> | undefined;
  let signalled = () => {};
  const signalReceived = new Promise<void>((resolve) => (signalled = resolve));
  const startup = new AbortController();
  void signalReceived.then(() => startup.abort());
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    logger.info({ signal, graceMs: config.shutdownGraceMs, inFlight: observability.inFlight() }, "stopping: finishing in-flight jobs");
    observability.setStopping();
    stopping = shutdown();
    signalled();
  };
  const shutdown = async () => {
    // close() first: from this moment no new job is taken.
    const graceful = worker.close();
    const timer = new Promise<"timeout">((resolve) => setTimeout(resolve, config.shutdownGraceMs, "timeout").unref());
    await reconciler.stop();
    if ((await Promise.race([graceful, timer])) === "timeout") {
      // Not worker.close(true): a second close() only returns the first one's
      // promise, which waits for the jobs. Their transactions roll back when
      // the process goes; their locks lapse and the stalled check of another
      // worker takes them back after STALLED_INTERVAL_MS.
      logger.warn({ inFlight: observability.inFlight() }, "grace period over: exiting with jobs in flight; other workers will take them back");
      process.exit(1);
    }
    await Promise.allSettled([source.close(), sources.close(), pool.end(), archiveStore?.end(), connection.quit(), observability.close()]);
    logger.info("stopped");
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));

  // Bad credentials or a missing database stop start-up here (exit 2);
  // a Postgres not up yet is waited for, like Redis below.
  await waitForDatabase(pool, config.databaseUrl, logger, startup.signal);
  if (stopping) return stopping;
  if (archiveStore && config.archiveDatabaseUrl !== undefined) {
    await waitForDatabase(archiveStore, config.archiveDatabaseUrl, logger, startup.signal, "ARCHIVE_DATABASE_URL");
    if (stopping) return stopping;
  }
  // A worker whose Redis never comes up must still stop on SIGTERM.
  await Promise.race([worker.waitUntilReady(), signalReceived]);
  if (stopping) return stopping;
  logger.info({ concurrency: config.workerConcurrency, queuePrefix: config.queuePrefix, workerId: worker.id }, "worker started");
  reconciler.start();
  await worker.run();
  // run() returns once stop() has closed the worker; wait for the rest of the
  // shutdown. The cast: TypeScript narrowed `stopping` to undefined at the
  // checks above, but stop() assigns it from the signal handler meanwhile.
  await (stopping as Promise<void> | undefined);
}
