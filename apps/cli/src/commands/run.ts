import { loadConfig, redactUrl, type Config } from "@porter/config";
import { createRun } from "@porter/db";
import { checkEvictionPolicy } from "@porter/queue";
import { preflight, ReplayRefused } from "@porter/runs";
import { UsageError } from "../exit-codes.js";
import { listAndFollow, openRunSession } from "../run-session.js";

export interface RunFlags {
  limit?: number;
  follow: boolean;
  json: boolean;
  /** Replay: list what an earlier run listed and read every page from the archive. */
  fromArchive?: boolean;
  /** The run to replay (an id, or "latest"); only with fromArchive. */
  of?: string;
  /** Changed-only: skip the documents the target holds unchanged (same updatedAt, same transform version). */
  changed?: boolean;
  /** Dry run: fetch (and archive), extract and validate, write nothing to the target; record what a real run would do. */
  dryRun?: boolean;
}

/**
 * `porter run`: starts a run and lists the legacy service into the queue.
 * With `fromArchive`, a replay: the listing is the replayed run's (`of`,
 * default the latest), the pages come from the archive, and nothing is asked
 * of the legacy service. With `follow`, stays until every document is
 * finished and prints a summary.
 */
export async function runCommand(flags: RunFlags, config: Config = loadConfig()): Promise<number> {
  if (flags.of !== undefined && flags.fromArchive !== true) throw new UsageError("--of names the run to replay: use it with --from-archive");
  const session = openRunSession(config);
  try {
    // Before the run exists: a command that cannot go on leaves nothing behind (exit 4, a line per service).
    await preflight(config, session.connections, ["postgres", "redis", flags.fromArchive === true ? "archive" : "legacy"]);
    let replayOf: string | null = null;
    if (flags.fromArchive === true) {
      try {
        replayOf = (await session.runs.replayTarget(flags.of ?? "latest")).id;
      } catch (err) {
        if (err instanceof ReplayRefused) throw new UsageError(err.message);
        throw err;
      }
    }
    // Warns loudly unless Redis is noeviction; a dead Redis is reported by the queue calls below.
    await checkEvictionPolicy(session.connection, session.logger, { readyTimeoutMs: 5_000 });
    const run = await createRun(
      session.pool,
      {
        limit: flags.limit ?? null,
        ...(replayOf === null ? { legacyUrl: redactUrl(config.legacyUrl) } : { fromArchive: replayOf }),
        changed: flags.changed === true,
        dryRun: flags.dryRun === true,
        pageSize: config.listPageSize,
        highWater: config.queueHighWater,
        jobAttempts: config.jobAttempts,
      },
      { replayOf, changedOnly: flags.changed === true, dryRun: flags.dryRun === true },
    );
    // debug: the line below says it for people; a JSON line among the human output is noise.
    session.logger.debug({ runId: run.id, replayOf }, "run started");
    const kind = `${run.dryRun ? " (dry run: nothing is written to the target)" : ""}${replayOf === null ? "" : `: a replay of run ${replayOf} from the archive`}`;
    process.stderr.write(`run ${run.id} started${kind}\n`);
    return await listAndFollow(session, run, flags);
  } finally {
    await session.close();
  }
}
