import { loadConfig } from "@porter/config";
import { listRuns, type Run } from "@porter/db";
import type { RunProgress } from "@porter/runs";
import { openOperatorSession } from "../operator-session.js";

/** How a run was made, in a word or two, for `porter runs`. */
function kindOf(run: Run): string {
  const kinds = [
    run.source === "archive" ? `replay of ${run.replayOf?.slice(0, 8) ?? "?"}` : "",
    run.changedOnly ? "changed only" : "",
    run.dryRun ? "dry run" : "",
  ].filter((k) => k !== "");
  return kinds.length === 0 ? "full" : kinds.join(", ");
}

interface RunLine {
  runId: string;
  status: Run["status"];
  kind: string;
  listed: number;
  succeeded: number;
  failed: number;
  skipped: number;
  pending: number;
  running: number;
  docsPerSecond: number;
  startedAt: string;
  finishedAt: string | null;
}

function lineOf(run: Run, progress: RunProgress): RunLine {
  return {
    runId: run.id,
    status: progress.status,
    kind: kindOf(run),
    listed: progress.listed,
    succeeded: progress.succeeded,
    failed: progress.failed,
    skipped: progress.skipped,
    pending: progress.pending,
    running: progress.running,
    docsPerSecond: Math.round(progress.docsPerSecond * 10) / 10,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
  };
}

const HEADER = ["run", "status", "listed", "succeeded", "failed", "skipped", "docs/s", "started", "finished", "kind"];

/** A table row: the id in full (it is what every other command takes), times to the second. */
function cellsOf(line: RunLine): string[] {
  const time = (iso: string | null) => (iso === null ? "-" : iso.replace("T", " ").replace(/\.\d+/, "").replace(/\+00(:00)?$|Z$/, ""));
  return [
    line.runId,
    line.status,
    String(line.listed),
    String(line.succeeded),
    String(line.failed),
    String(line.skipped),
    String(line.docsPerSecond),
    time(line.startedAt),
    time(line.finishedAt),
    line.kind,
  ];
}

/** `porter runs [--json] [--limit N]`: the runs, newest first, with status, counts, pace, start and end. */
export async function runsCommand(flags: { json: boolean; limit: number }): Promise<number> {
  const config = loadConfig();
  const session = await openOperatorSession(config, ["postgres"]);
  try {
    const runs = await listRuns(session.connections.pool, flags.limit);
    const lines: RunLine[] = [];
    for (const run of runs) lines.push(lineOf(run, await session.runs.progress(run.id)));
    if (flags.json) {
      process.stdout.write(lines.map((l) => `${JSON.stringify(l)}\n`).join(""));
      return 0;
    }
    if (lines.length === 0) {
      process.stdout.write(`no run yet in ${new URL(config.databaseUrl).pathname.slice(1)}\n`);
      return 0;
    }
    const rows = [HEADER, ...lines.map(cellsOf)];
    const widths = HEADER.map((_, c) => Math.max(...rows.map((r) => (r[c] as string).length)));
    const text = rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c] as number))).join("  "));
    process.stdout.write(`${text.join("\n")}\n`);
    return 0;
  } finally {
    await session.close();
  }
}
