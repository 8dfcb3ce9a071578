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
    // Still listing: a replay lists the run it replays and reads the archive, any other run the legacy service.
    if (run.status === "listing") await preflight(own, session.connections, [run.source === "archive" ? "archive" : "legacy"]);
    if (run.status === "rolled_back" || run.status === "cancelled") {
      throw new UsageError(`run ${run.id} is ${run.status}; start a new one with porter run`);
    }
    await checkEvictionPolicy(session.connection, session.logger, { readyTimeoutMs: 5_000 });
    process.stderr.write(
      run.status === "listing"
        ? `run ${run.id} resumed from its checkpoint (${run.listed} listed so far)\n`
        : `run ${run.id} is ${run.status}: its listing is over\n`,
    );
    const limit = typeof run.options.limit === "number" ? run.options.limit : undefined;
    return await listAndFollow(session, run, { ...flags, limit });
  } finally {
    await session.close();
  }
}
