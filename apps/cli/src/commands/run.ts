import { loadConfig, redactUrl, type Config } from "@porter/config";
import { createPool, createRun } from "@porter/db";
import { enqueueRun, followRun, type RunSummary } from "@porter/enqueuer";
import { createLogger } from "@porter/logger";
import { createImportQueue, createRedis } from "@porter/queue";
import { createHttpSource } from "@porter/source";
import { EXIT } from "../exit-codes.js";
import { createProgressView } from "../progress.js";

export interface RunFlags {
  limit?: number;
  follow: boolean;
  json: boolean;
}

/** Exit code for a finished run: 0 all succeeded, 3 some failed. */
export function exitCodeOf(summary: RunSummary): number {
  return summary.failed > 0 ? EXIT.failedDocuments : EXIT.ok;
}

function printSummary(summary: RunSummary, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  process.stdout.write(
    `run ${summary.runId} ${summary.status}: ${summary.succeeded} succeeded, ${summary.failed} failed ` +
      `of ${summary.listed} listed in ${(summary.durationMs / 1000).toFixed(1)} s (${summary.docsPerSecond} docs/s)\n`,
  );
}

/**
 * `porter run`: starts a run and lists the legacy service into the queue.
 * With `follow`, stays until every document is finished and prints a summary.
 */
export async function runCommand(flags: RunFlags, config: Config = loadConfig()): Promise<number> {
  const logger = createLogger({ level: config.logLevel, name: "enqueuer", fd: 2 });
  const pool = createPool({ connectionString: config.databaseUrl, max: 4, applicationName: "porter-enqueuer" });
  const connection = createRedis(config.redisUrl, { role: "producer" });
  const queue = createImportQueue(connection, config.queuePrefix);
  const source = createHttpSource({
    url: config.legacyUrl,
    token: config.legacyToken,
    connections: 2,
    maxPageBytes: config.maxPageBytes,
  });
  const stop = new AbortController();
  try {
    const run = await createRun(pool, {
      limit: flags.limit ?? null,
      legacyUrl: redactUrl(config.legacyUrl),
      pageSize: config.listPageSize,
      highWater: config.queueHighWater,
      jobAttempts: config.jobAttempts,
    });
    logger.info({ runId: run.id }, "run started");
    process.stderr.write(`run ${run.id} started\n`);
    const listing = enqueueRun({ pool, queue, source, logger }, run.id, {
      pageSize: config.listPageSize,
      highWater: config.queueHighWater,
      jobAttempts: config.jobAttempts,
      listTimeoutMs: config.jobTimeoutMs,
      listAttempts: config.jobAttempts,
      backoffBaseMs: config.backoffBaseMs,
      limit: flags.limit,
      signal: stop.signal,
    }).catch((err: unknown) => {
      stop.abort(err);
      throw err;
    });
    if (!flags.follow) {
      const listed = await listing;
      if (flags.json) process.stdout.write(`${JSON.stringify({ runId: run.id, status: listed.status, listed: listed.listed })}\n`);
      else process.stdout.write(`run ${run.id}: ${listed.listed} documents listed and queued\n`);
      return EXIT.ok;
    }
    const view = createProgressView();
    try {
      const [, summary] = await Promise.all([
        listing,
        followRun(pool, run.id, { onProgress: (p) => view.update(p), signal: stop.signal }),
      ]);
      view.stop();
      printSummary(summary, flags.json);
      return exitCodeOf(summary);
    } catch (err) {
      view.stop();
      throw stop.signal.aborted && stop.signal.reason !== undefined ? stop.signal.reason : err;
    }
  } finally {
    stop.abort();
    await Promise.allSettled([queue.close(), source.close()]);
    await Promise.allSettled([pool.end(), connection.quit()]);
  }
}
