import { loadConfig } from "@porter/config";
import type { DifferenceSample } from "@porter/db";
import { EXIT, UsageError } from "../exit-codes.js";
import { configForRun, openOperatorSession, requireRun } from "../operator-session.js";

/** Ids shown per class of difference: a few on a terminal, more in JSON. */
const TEXT_SAMPLE = 20;
const JSON_SAMPLE = 1_000;

function lines(name: string, meaning: string, d: DifferenceSample): string[] {
  if (d.count === 0) return [];
  const more = d.count > d.ids.length ? [`    … and ${d.count - d.ids.length} more`] : [];
  return [`${name} (${meaning}): ${d.count}`, ...d.ids.map((id) => `    ${JSON.stringify(id)}`), ...more];
}

/**
 * `porter verify <runId>`: lists the legacy service again and compares it
 * with the target (verifyRun): missing, failed, extra and stale documents.
 * Exit 0 when they agree, 3 when they do not. `--json`: one object, with up
 * to 1,000 ids per class (the counts are exact).
 */
export async function verifyCommand(which: string, flags: { json: boolean }): Promise<number> {
  const config = loadConfig();
  let session = await openOperatorSession(config, ["postgres"], "verify");
  try {
    const run = await requireRun(session.connections.pool, config, which);
    const runId = run.id;
    if (run.dryRun) throw new UsageError(`run ${run.id} is a dry run: it wrote nothing to compare; porter status ${run.id} shows what a real run would do`);
    // Listed again where the run was started, whatever this process's LEGACY_URL says.
    await session.close();
    session = await openOperatorSession(configForRun(config, run), ["legacy"], "verify");
    const report = await session.runs.verify(run, { sampleSize: flags.json ? JSON_SAMPLE : TEXT_SAMPLE });
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(report)}\n`);
    } else {
      const out = [
        `run ${runId}: ${report.listed} documents listed; ` +
          (report.agree
            ? "the target agrees with the legacy service"
            : `${report.missing.count} missing, ${report.failed.count} failed, ${report.extra.count} extra, ${report.stale.count} stale`),
        ...lines("missing", "listed, not in the target", report.missing),
        ...lines("failed", "listed, failed in this run: porter failures", report.failed),
        ...lines("extra", "written by this run, no longer listed", report.extra),
        ...lines("stale", "changed at the source since loaded", report.stale),
      ];
      process.stdout.write(`${out.join("\n")}\n`);
    }
    return report.agree ? EXIT.ok : EXIT.failedDocuments;
  } finally {
    await session.close();
  }
}
