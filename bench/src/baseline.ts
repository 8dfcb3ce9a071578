/**
 * The baseline: what a user would write without a queue. List every id, then
 * fetch + extract + load each document in its own transaction, `concurrency` (default 100)
 * at a time, each with its own Postgres connection.
 * Same extractor and same target tables as Porter; no ledger, no retries.
 * Prints one JSON line: { docs, failed, durationMs, docsPerSecond, p50Ms, p95Ms }.
 *
 *   node bench/dist/baseline.js <legacyUrl> <databaseUrl> [concurrency]
 */
import pg from "pg";
import { createHttpSource, extractDocument, pageText, type LegacyDocument } from "@porter/source";
import { percentile } from "./percentile.js";

const [legacyUrl, databaseUrl, concurrencyArg] = process.argv.slice(2);
if (!legacyUrl || !databaseUrl) {
  process.stderr.write("usage: baseline.js <legacyUrl> <databaseUrl> [concurrency]\n");
  process.exit(2);
}
const concurrency = Number(concurrencyArg ?? 100);

const source = createHttpSource({ url: legacyUrl, connections: concurrency, maxPageBytes: 32 * 1024 * 1024 });
const pool = new pg.Pool({ connectionString: databaseUrl, max: concurrency });

async function load(doc: LegacyDocument): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO documents (legacy_id, title, body, author_id, author_name, tags, created_at, updated_at, run_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '00000000-0000-0000-0000-000000000000')
       ON CONFLICT (legacy_key) DO UPDATE SET title = EXCLUDED.title, body = EXCLUDED.body,
         author_id = EXCLUDED.author_id, author_name = EXCLUDED.author_name, tags = EXCLUDED.tags,
         created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, imported_at = now()
       RETURNING id`,
      [doc.id, doc.title, doc.body, doc.author.id, doc.author.name, doc.tags, doc.createdAt, doc.updatedAt],
    );
    const id = rows[0]?.id;
    await client.query("DELETE FROM document_attachments WHERE document_id = $1", [id]);
    for (const [position, a] of doc.attachments.entries()) {
      await client.query(
        "INSERT INTO document_attachments (document_id, position, name, url, size_bytes) VALUES ($1, $2, $3, $4, $5)",
        [id, position, a.name, a.url, a.size],
      );
    }
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

const started = performance.now();
const ids: string[] = [];
let cursor: string | null = null;
do {
  const page = await source.list(cursor, 1000);
  for (const d of page.documents) ids.push(d.id);
  cursor = page.nextCursor;
} while (cursor !== null);
const unique = [...new Set(ids)];

const times: number[] = [];
let next = 0;
let failed = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < unique.length) {
      const id = unique[next++] as string;
      const t = performance.now();
      try {
        const html = pageText(await source.fetchPage(id, AbortSignal.timeout(30_000)), id);
        await load(extractDocument(html, id));
        times.push(performance.now() - t);
      } catch (err) {
        failed++;
        process.stderr.write(`baseline: ${id}: ${err instanceof Error ? err.message : String(err)}\n`);
      }
    }
  }),
);
const durationMs = performance.now() - started;
times.sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({
    docs: times.length,
    failed,
    durationMs: Math.round(durationMs),
    docsPerSecond: Math.round((times.length / durationMs) * 1000),
    p50Ms: percentile(times, 0.5),
    p95Ms: percentile(times, 0.95),
  })}\n`,
);
await source.close();
await pool.end();
