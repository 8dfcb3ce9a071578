import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type pg from "pg";
import { readLatestPages, readPageBodies, type PageHead } from "@porter/db";

/** Documents whose heads are read per query. */
const EXPORT_PAGE = 500;
/** Bytes of bodies read per query (a larger page goes alone): what bounds the export's memory. */
const EXPORT_BODY_BYTES = 16 * 1024 * 1024;

/** The export's directory is not new or empty (bad input: the CLI exits 2). */
export class ExportRefused extends Error {
  override readonly name = "ExportRefused";
}

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
 * page of heads at a time, their bodies EXPORT_BODY_BYTES at a time, and the
 * index written as it goes.
 */
export async function exportArchive(
  archive: pg.Pool,
  dir: string,
  options: { onProgress?: (documents: number) => void } = {},
): Promise<ExportResult> {
  const existing = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return [];
    if (err.code === "ENOTDIR") throw new ExportRefused(`${dir} is a file; export into a new or empty directory`);
    throw err;
  });
  if (existing.length > 0) throw new ExportRefused(`${dir} is not empty; export into a new or empty directory`);
  await mkdir(join(dir, "pages"), { recursive: true });
  const index = createWriteStream(join(dir, "index.jsonl"));
  const closed = once(index, "close");
  let documents = 0;
  let bytes = 0;
  try {
    let after: Buffer | null = null;
    for (;;) {
      const rows = await readLatestPages(archive, after, EXPORT_PAGE);
      for (const group of byBytes(rows)) {
        const bodies = await readPageBodies(archive, group);
        for (const [k, row] of group.entries()) {
          const body = bodies[k] as Buffer;
          const file = fileName(row.legacyKey, row.contentType);
          await writeFile(join(dir, file), body);
          const line = {
            legacyId: row.legacyId,
            file,
            sha256: row.sha256.toString("hex"),
            contentType: row.contentType,
            bytes: body.length,
            listedUpdatedAt: row.listedUpdatedAt,
            fetchedAt: row.fetchedAt,
            runId: row.runId,
          };
          if (!index.write(`${JSON.stringify(line)}\n`)) await once(index, "drain");
          documents++;
          bytes += body.length;
        }
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

/** Consecutive heads in groups of at most EXPORT_BODY_BYTES of bodies (at least one each). */
function byBytes(heads: readonly PageHead[]): PageHead[][] {
  const groups: PageHead[][] = [];
  let group: PageHead[] = [];
  let size = 0;
  for (const head of heads) {
    if (group.length > 0 && size + head.rawBytes > EXPORT_BODY_BYTES) {
      groups.push(group);
      group = [];
      size = 0;
    }
    group.push(head);
    size += head.rawBytes;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}
