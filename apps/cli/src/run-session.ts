import type { Config } from "@porter/config";
import { enqueueRun } from "@porter/enqueuer";
import { createLogger, type Logger } from "@porter/logger";
import type { ImportQueue, RedisConnection } from "@porter/queue";
import {
  createRunOperations,
  listPolicy,
  openConnections,
  StoreRetry,
  type Connections,
  type RunOperations,
  type RunSummary,
} from "@porter/runs";
import { countFailuresByKind, type Run } from "@porter/db";
import type { Source } from "@porter/source";
import type pg from "pg";
import { EXIT } from "./exit-codes.js";
import { stderrLogs, type LogSink } from "./log-sink.js";
import { createProgressView } from "./progress.js";
import { projectionText } from "./projection-text.js";

/** What `porter run` and `porter resume` need: the ledger, the queue and the legacy service. */
export interface RunSession {
  config: Config;
  logger: Logger;
  /** Where the logger's lines go: stderr, or above the progress bar while one is drawn. */
  logs: LogSink;
  /** What the fields below come from, opened on first use (what preflight checks). */
  connections: Connections;
  pool: pg.Pool;
  connection: RedisConnection;
  queue: ImportQueue;
  source: Source;
  runs: RunOperations;
  close(): Promise<void>;
}

export function openRunSession(config: Config): RunSession {
  const logs = stderrLogs;
  const logger = createLogger({ level: config.logLevel, name: "enqueuer", destination: logs });
  const connections = openConnections(config, { applicationName: "porter-enqueuer", poolSize: 4, sourceConnections: 2 });
  let listening = false;
  return {
    config,
    logger,
    logs,
    connections,
    // Opened on first use, after the preflight: a dead Redis is one line, not a client retrying behind it.
    get pool() {
      return connections.pool;
    },
    get connection() {
      return connections.redis;
    },
    get queue() {
      const queue = connections.queue;
      // BullMQ re-emits every failed reconnect here; the store calls report an
      // outage themselves (one line when Redis goes, one when it is back).
      if (!listening) queue.on("error", () => {});
      listening = true;
      return queue;
    },
    get source() {
      return connections.source;
    },
    runs: createRunOperations(config, { connections, logger }),
    close: () => connections.close(),
  };
}

export interface ListFlags {
  /** Stop listing after this many distinct documents (the run's own limit). */
  limit?: number | undefined;
  follow: boolean;
  json: boolean;
}

/**
 * Exit code for a followed run that ended: 5 cancelled or rolled back (a script must not go on as
 * if it had migrated), else 3 some failed or the listing stopped before its end, else 0.
 */
export function exitCodeOf(summary: RunSummary): number {
  if (summary.status === "cancelled" || summary.status === "rolled_back") return EXIT.notCompleted;
  return summary.failed > 0 || summary.listingError !== null ? EXIT.failedDocuments : EXIT.ok;
}

async function printSummary(pool: pg.Pool, summary: RunSummary, json: boolean): Promise<void> {
  if (json) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  if (summary.dryRun && summary.projection !== null) {
    const kinds = await countFailuresByKind(pool, summary.runId);
    process.stdout.write(
      `dry run ${summary.runId} ${summary.status}: nothing written; a real run ${projectionText(summary.projection, kinds)}` +
        (summary.skipped > 0 ? `, skip ${summary.skipped} unchanged` : "") +
        ` (${summary.listed} listed, ${(summary.durationMs / 1000).toFixed(1)} s)\n` +
        (summary.listingError === null ? "" : `the listing stopped before its end, so not every document was listed: ${summary.listingError}\n`),
    );
    return;
  }
  process.stdout.write(
    `run ${summary.runId} ${summary.status}: ${summary.succeeded} succeeded, ${summary.failed} failed` +
      (summary.skipped > 0 ? `, ${summary.skipped} unchanged (skipped)` : "") +
      " " +
      `of ${summary.listed} listed in ${(summary.durationMs / 1000).toFixed(1)} s (${summary.docsPerSecond} docs/s)\n` +
      (summary.listingError === null ? "" : `the listing stopped before its end, so not every document was listed: ${summary.listingError}\n`),
  );
}

/**
 * Lists a run from its checkpoint to the end (nothing, if its listing is
 * over) and, with `follow`, stays until every document is finished and
 * prints the summary. What `porter run` does after creating the run, and
 * what `porter resume` does for a run that exists.
 */
export async function listAndFollow(session: RunSession, run: Run, flags: ListFlags): Promise<number> {
  const { config, pool, queue, logger, runs } = session;
  const runId = run.id;
  // A replay lists the replayed run's ledger and reads nothing from the legacy service.
  const source = runs.sourceOf(run);
  const stop = new AbortController();
  // One for the enqueuer and the follower: an outage is logged once, whichever notices it.
  const stores = new StoreRetry(logger, {
    outageMs: config.storeOutageMs,
    hint: `porter resume ${runId} goes on from where this stopped`,
  });
  try {
    const listing = enqueueRun({ pool, queue, source, logger, stores }, runId, {
      pageSize: config.listPageSize,
      listIdleTimeoutMs: config.listIdleTimeoutMs,
      highWater: config.queueHighWater,
      jobDocuments: config.jobDocuments,
      jobAttempts: config.jobAttempts,
      list: listPolicy(config),
      storeOutageMs: config.storeOutageMs,
      limit: flags.limit,
      signal: stop.signal,
    }).catch((err: unknown) => {
      stop.abort(err);
      throw err;
    });
    if (!flags.follow) {
      const listed = await listing;
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ runId, status: listed.status, listed: listed.listed, listingError: listed.listingError })}\n`);
      } else {
        process.stdout.write(`run ${runId}: ${listed.listed} documents listed and queued\n`);
        if (listed.listingError !== null) process.stdout.write(`the listing stopped before its end: ${listed.listingError}\n`);
      }
      return listed.listingError === null ? EXIT.ok : EXIT.failedDocuments;
    }
    const view = createProgressView(process.stderr, session.logs);
    try {
      const [, summary] = await Promise.all([
        listing,
        runs.follow(runId, { onProgress: (p) => view.update(p), signal: stop.signal, stores }),
      ]);
      view.stop();
      await printSummary(pool, summary, flags.json);
      return exitCodeOf(summary);
    } catch (err) {
      view.stop();
      throw stop.signal.aborted && stop.signal.reason !== undefined ? stop.signal.reason : err;
    }
  } finally {
    stop.abort();
  }
}
