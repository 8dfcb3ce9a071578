import { loadConfig } from "@porter/config";
import { listFailures, type FailureRow } from "@porter/db";
import { openOperatorSession, requireRun } from "../operator-session.js";

const PAGE = 1_000;

export interface FailuresFlags {
  kind?: string;
  json: boolean;
}

function textOf(f: FailureRow): string {
  // Every line of a message under its document, indented; a bare CR would draw over the line before.
  const message = (f.message ?? "").replace(/\r\n?|\n/g, "\n    ");
  // An invalid id is stored already escaped, as a JSON string literal.
  const id = f.kind === "invalid_id" ? f.legacyId : JSON.stringify(f.legacyId);
  return `${id}  ${f.kind}  stage=${f.stage ?? "-"}  attempts=${f.attempts}\n    ${message}\n`;
}

/**
 * `porter failures <runId>`: the run's failed documents, a page of 1,000 at
 * a time (memory stays flat). Text: legacy id, kind, stage, attempts, then
 * the message. `--json`: one JSON object per line, stack trace included.
 */
export async function failuresCommand(which: string, flags: FailuresFlags): Promise<number> {
  const config = loadConfig();
  const session = await openOperatorSession(config, ["postgres"]);
  const { pool } = session.connections;
  try {
    const runId = (await requireRun(pool, config, which)).id;
    let after: string | undefined;
    let total = 0;
    for (;;) {
      const page = await listFailures(pool, runId, { kind: flags.kind, limit: PAGE, after });
      if (page.length > 0) {
        process.stdout.write(page.map((f) => (flags.json ? `${JSON.stringify(f)}\n` : textOf(f))).join(""));
      }
      total += page.length;
      const last = page.at(-1);
      if (page.length < PAGE || !last) break;
      after = last.id;
    }
    if (!flags.json) {
      const kind = flags.kind ? ` of kind ${flags.kind}` : "";
      process.stdout.write(`${total} failed documents${kind} in run ${runId}${total > 0 ? " (--json adds stack traces)" : ""}\n`);
    }
    return 0;
  } finally {
    await session.close();
  }
}
