import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type pg from "pg";
import { readLatestPages } from "@porter/db";

/** Documents read per query: the export's memory is this many pages, whatever the archive's size. */
const EXPORT_PAGE = 200;

export interface ExportResult {
  documents: number;
  bytes: number;
}

/** The file a page is written to: its document's key, so any id (slashes, unicode, 64 KB) makes a safe name. */
function fileName(legacyKey: Buffer, contentType: string | null): string {
  const html = contentType === null || /^\s*text\/html\b/i.test(contentType);
  return `pages/${legacyKey.toString("hex")}.${html ? "html" : "bin"}`;
}

/**
 * Writes the latest page of every archived document into `dir` (which must
 * not exist or be empty): `pages/<sha256 of the id>.html`, byte for byte as
 * served, and `index.jsonl`, one line per document (id, file, sha256, content
 * type, bytes, the listing's updatedAt, fetch time, run). Streamed: a keyset
 * page of rows at a time, and the index written as it goes.
 */
export async function exportArchive(
  archive: pg.Pool,
  dir: string,
  options: { onProgress?: (documents: number) => void } = {},
): Promise<ExportResult> {
  const existing = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return [];
    throw err;
  });
  if (existing.length > 0) throw new Error(`${dir} is not empty; export into a new or empty directory`);
  await mkdir(join(dir, "pages"), { recursive: true });
  const index = createWriteStream(join(dir, "index.jsonl"));
  const closed = once(index, "close");
  let documents = 0;
  let bytes = 0;
  try {
    let after: Buffer | null = null;
    for (;;) {
      const rows = await readLatestPages(archive, after, EXPORT_PAGE);
      for (const row of rows) {
        const file = fileName(row.legacyKey, row.contentType);
        await writeFile(join(dir, file), row.body);
        const line = {
          legacyId: row.legacyId,
          file,
          sha256: row.sha256.toString("hex"),
          contentType: row.contentType,
          bytes: row.body.length,
          listedUpdatedAt: row.listedUpdatedAt,
          fetchedAt: row.fetchedAt,
          runId: row.runId,
        };
        if (!index.write(`${JSON.stringify(line)}\n`)) await once(index, "drain");
        documents++;
        bytes += row.body.length;
      }
      options.onProgress?.(documents);
      const last = rows.at(-1);
      if (rows.length < EXPORT_PAGE || last === undefined) break;
      after = last.legacyKey;
    }
  } finally {
    index.end();
    await closed;
  }
  return { documents, bytes };
}
