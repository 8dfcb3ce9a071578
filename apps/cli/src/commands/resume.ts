import { loadConfig } from "@porter/config";
import { checkEvictionPolicy } from "@porter/queue";
import { preflight } from "@porter/runs";
import { UsageError } from "../exit-codes.js";
import { configForRun, requireRun } from "../operator-session.js";
import { listAndFollow, openRunSession } from "../run-session.js";

/**
 * `porter resume <runId|latest>`: a run whose enqueuer died mid-listing goes
 * on from its checkpoint (the page it was on is listed again; the ledger and
 * the job ids make that add nothing twice). A run whose listing is over is
 * just followed. `--follow` and `--json` behave as with `porter run`.
 */
export async function resumeCommand(id: string, flags: { follow: boolean; json: boolean }): Promise<number> {
  const config = loadConfig();
  let session = openRunSession(config);
  try {
    await preflight(config, session.connections, ["postgres", "redis"]);
    const run = await requireRun(session.pool, config, id);
    // The legacy service the run was started against, whatever this process's LEGACY_URL says.
    const own = configForRun(config, run);
    if (own !== config) {
      await session.close();
      session = openRunSession(own);
    }
    if (run.status === "rolled_back") throw new UsageError(`run ${run.id} is rolled back; start a new one with porter run`);
    // Still listing (or cancelled before its listing was over): a replay lists the run it replays and
    // reads the archive, any other run the legacy service.
    if (run.status === "listing" || (run.status === "cancelled" && run.listedAt === null)) {
      await preflight(own, session.connections, [run.source === "archive" ? "archive" : "legacy"]);
    }
    await checkEvictionPolicy(session.connection, session.logger, { readyTimeoutMs: 5_000 });
    let current = run;
    if (run.status === "cancelled") {
      const back = await session.runs.reopenCancelled(run.id);
      current = await requireRun(session.pool, own, run.id);
      process.stderr.write(`run ${run.id} was cancelled: ${back} unfinished documents are back in the queue\n`);
    }
    process.stderr.write(
      current.status === "listing"
        ? `run ${current.id} resumed from its checkpoint (${current.listed} listed so far)\n`
        : `run ${current.id} is ${current.status}: its listing is over\n`,
    );
    const limit = typeof current.options.limit === "number" ? current.options.limit : undefined;
    return await listAndFollow(session, current, { ...flags, limit });
  } finally {
    await session.close();
  }
}
