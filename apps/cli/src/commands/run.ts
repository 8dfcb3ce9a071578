import { loadConfig, redactUrl, type Config } from "@porter/config";
import { createRun } from "@porter/db";
import { checkEvictionPolicy } from "@porter/queue";
import { listAndFollow, openRunSession } from "../run-session.js";

export interface RunFlags {
  limit?: number;
  follow: boolean;
  json: boolean;
}

/**
 * `porter run`: starts a run and lists the legacy service into the queue.
 * With `follow`, stays until every document is finished and prints a summary.
 */
export async function runCommand(flags: RunFlags, config: Config = loadConfig()): Promise<number> {
  const session = openRunSession(config);
  try {
    // Warns loudly unless Redis is noeviction; a dead Redis is reported by the queue calls below.
    await checkEvictionPolicy(session.connection, session.logger, { readyTimeoutMs: 5_000 });
    const run = await createRun(session.pool, {
      limit: flags.limit ?? null,
      legacyUrl: redactUrl(config.legacyUrl),
      pageSize: config.listPageSize,
      highWater: config.queueHighWater,
      jobAttempts: config.jobAttempts,
    });
    session.logger.info({ runId: run.id }, "run started");
    process.stderr.write(`run ${run.id} started\n`);
    return await listAndFollow(session, run.id, flags);
  } finally {
    await session.close();
  }
}
