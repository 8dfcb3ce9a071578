import { resolve } from "node:path";
import { loadConfig } from "@porter/config";
import { ExportRefused, exportArchive } from "@porter/archive";
import { archiveStats } from "@porter/db";
import { UsageError } from "../exit-codes.js";
import { openOperatorSession } from "../operator-session.js";

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** `porter archive stats`: what the page archive holds. */
export async function archiveStatsCommand(flags: { json: boolean }): Promise<number> {
  const config = loadConfig();
  const session = await openOperatorSession(config, ["archive"]);
  try {
    const stats = await archiveStats(session.connections.archive);
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(stats)}\n`);
    } else {
      const ratio = stats.rawBytes === 0 ? "" : ` (${((stats.storedBytes / stats.rawBytes) * 100).toFixed(0)}% of served)`;
      process.stdout.write(
        `${stats.pages} pages of ${stats.documents} documents: ${mib(stats.rawBytes)} as served, ${mib(stats.storedBytes)} stored${ratio}\n`,
      );
    }
    return 0;
  } finally {
    await session.close();
  }
}

/** `porter archive export <dir>`: the latest page of every document, and an index, streamed into `dir`. */
export async function archiveExportCommand(dir: string): Promise<number> {
  const config = loadConfig();
  const target = resolve(dir);
  const session = await openOperatorSession(config, ["archive"]);
  try {
    const tty = process.stderr.isTTY;
    const result = await exportArchive(session.connections.archive, target, {
      onProgress: (documents) => {
        if (tty) process.stderr.write(`\r${documents} documents exported`);
      },
    }).catch((err: unknown) => {
      throw err instanceof ExportRefused ? new UsageError(err.message) : err;
    });
    if (tty) process.stderr.write("\n");
    process.stdout.write(`exported ${result.documents} documents (${mib(result.bytes)}) to ${target}: pages/ and index.jsonl\n`);
    return 0;
  } finally {
    await session.close();
  }
}
