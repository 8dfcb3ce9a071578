import { createArchiveSource } from "@porter/archive";
import { archiveHoldsPages, getLatestRunIn, getRun, type Run } from "@porter/db";
import type { Source } from "@porter/source";
import type { Connections } from "./connections.js";

/** A replay that cannot start, and why (bad input: the CLI exits 2). */
export class ReplayRefused extends Error {
  override readonly name = "ReplayRefused";
}

/**
 * The run a replay lists again: `of` by id, or the newest completed run for
 * `latest`. Refused: an unknown run, one rolled back or cancelled, one still
 * listing or running (its listing is not whole yet, or documents of it have
 * no page yet), and an empty archive (nothing to read the pages from).
 */
export async function replayTarget(connections: Connections, of: string | "latest"): Promise<Run> {
  let holdsPages: boolean;
  try {
    holdsPages = await archiveHoldsPages(connections.archive);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`the page archive cannot be read: ${reason} (is \`porter db migrate\` done, and ARCHIVE_DATABASE_URL right?)`, { cause: err });
  }
  if (!holdsPages) {
    throw new ReplayRefused("the page archive holds no page yet: a run with ARCHIVE=on fills it (porter run), then --from-archive replays it");
  }
  const run = of === "latest" ? await getLatestRunIn(connections.pool, ["completed"]) : await getRun(connections.pool, of);
  if (!run) throw new ReplayRefused(of === "latest" ? "no completed run to replay: every run is rolled back, cancelled or still going" : `no run ${of} to replay`);
  if (run.status === "rolled_back" || run.status === "cancelled") {
    throw new ReplayRefused(`run ${run.id} is ${run.status}; replay a run that stands (porter status shows them)`);
  }
  if (run.status === "listing") throw new ReplayRefused(`run ${run.id} is still listing; its listing is not whole yet (porter resume ${run.id} finishes it)`);
  // Its documents still pending have no page yet: replayed now, they would fail as not_archived.
  if (run.status === "running") throw new ReplayRefused(`run ${run.id} is still running; replay it once it is completed (porter resume ${run.id} --follow waits for it)`);
  return run;
}

/** Where a run reads its listing and its pages: the legacy service, or the archive for a replay. */
export function sourceOf(connections: Connections, run: Run): Source {
  if (run.source !== "archive" || run.replayOf === null) return connections.source;
  return createArchiveSource({ ledger: connections.pool, archive: connections.archive, replayOf: run.replayOf });
}
