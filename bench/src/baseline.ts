/**
 * The baselines: what a user would write without a queue, on the same
 * extractor and the same tables as Porter (documents, attachments, and a
 * ledger row per document, written `succeeded` with the document). They
 * list every id first, then fetch `concurrency` (default 100) at a time; no
 * retries, no timeouts but one per request, no resume.
 *
 * - `per-document`: each document in one statement of its own (upsert,
 *   attachments replaced, ledger row), up to 64 statements in flight, each
 *   on a connection of its own: what a user writes first. (100 connections
 *   would take every one the machine's Postgres allows.)
 * - `grouped`: documents gathered as they arrive and written up to 100 per
 *   statement (unnest arrays, one statement, one transaction), two
 *   statements in flight: what a user writes who has read about bulk loads.
 *
 * Prints one JSON line: { docs, failed, durationMs, docsPerSecond, p50Ms, p95Ms }.
 *
 *   node bench/dist/baseline.js <legacyUrl> <databaseUrl> <per-document|grouped> [concurrency]
 */
import { hash } from "node:crypto";
import pg from "pg";
import { createHttpSource, extractDocument, pageText, type LegacyDocument } from "@porter/source";
import { percentile } from "./percentile.js";

const MODES = ["per-document", "grouped"] as const;
type Mode = (typeof MODES)[number];

const [legacyUrl, databaseUrl, modeArg, concurrencyArg] = process.argv.slice(2);
if (!legacyUrl || !databaseUrl || !MODES.includes(modeArg as Mode)) {
  process.stderr.write(`usage: baseline.js <legacyUrl> <databaseUrl> <${MODES.join("|")}> [concurrency]\n`);
  process.exit(2);
}
const mode = modeArg as Mode;
const concurrency = Number(concurrencyArg ?? 100);
const GROUP = 100;
const GROUPS_IN_FLIGHT = 2;
const STATEMENTS_IN_FLIGHT = 64;

const source = createHttpSource({ url: legacyUrl, connections: concurrency, maxPageBytes: 32 * 1024 * 1024 });
const pool = new pg.Pool({
  connectionString: databaseUrl,
  max: mode === "grouped" ? GROUPS_IN_FLIGHT : Math.min(concurrency, STATEMENTS_IN_FLIGHT),
});

const DOCUMENT_COLUMNS = `legacy_id, title, body, author_id, author_name, tags, created_at, updated_at, run_id, transform_version, imported_at`;
const UPSERT_SET = `title = EXCLUDED.title, body = EXCLUDED.body, author_id = EXCLUDED.author_id,
  author_name = EXCLUDED.author_name, tags = EXCLUDED.tags, created_at = EXCLUDED.created_at,
  updated_at = EXCLUDED.updated_at, run_id = EXCLUDED.run_id, imported_at = EXCLUDED.imported_at`;

/** One document, one statement: upsert, attachments replaced, ledger row. */
const LOAD_ONE = `
WITH doc AS (
  INSERT INTO documents (${DOCUMENT_COLUMNS})
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, now())
  ON CONFLICT (legacy_key) DO UPDATE SET ${UPSERT_SET}
  RETURNING id
), old AS (
  DELETE FROM document_attachments WHERE document_id IN (SELECT id FROM doc)
), attachments AS (
  INSERT INTO document_attachments (document_id, position, name, url, size_bytes)
  SELECT doc.id, a.n - 1, a.e->>'name', a.e->>'url', (a.e->>'size')::bigint
    FROM doc, jsonb_array_elements($10::jsonb) WITH ORDINALITY AS a(e, n)
)
INSERT INTO service_imports (run_id, legacy_id, legacy_key, status, attempts, finished_at)
VALUES ($9, $1, $11, 'succeeded', 1, now())`;

/** Up to GROUP documents, one statement: the same as LOAD_ONE for each, from arrays. */
const LOAD_GROUP = `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::bytea[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                       $8::timestamptz[], $9::timestamptz[], $10::text[])
    AS t(legacy_id, legacy_key, title, body, author_id, author_name, tags, created_at, updated_at, attachments)
), docs AS (
  INSERT INTO documents (${DOCUMENT_COLUMNS})
  SELECT legacy_id, title, body, author_id, author_name, ARRAY(SELECT jsonb_array_elements_text(tags::jsonb)),
         created_at, updated_at, $11, 0, now()
    FROM input ORDER BY legacy_id
  ON CONFLICT (legacy_key) DO UPDATE SET ${UPSERT_SET}
  RETURNING id, legacy_id
), old AS (
  DELETE FROM document_attachments WHERE document_id IN (SELECT id FROM docs)
), attachments AS (
  INSERT INTO document_attachments (document_id, position, name, url, size_bytes)
  SELECT d.id, a.n - 1, a.e->>'name', a.e->>'url', (a.e->>'size')::bigint
    FROM docs d JOIN input i USING (legacy_id), jsonb_array_elements(i.attachments::jsonb) WITH ORDINALITY AS a(e, n)
)
INSERT INTO service_imports (run_id, legacy_id, legacy_key, status, attempts, finished_at)
SELECT $11, legacy_id, legacy_key, 'succeeded', 1, now() FROM input`;

const legacyKey = (id: string): Buffer => hash("sha256", id, "buffer");

async function loadOne(runId: string, doc: LegacyDocument): Promise<void> {
  await pool.query(LOAD_ONE, [
    doc.id,
    doc.title,
    doc.body,
    doc.author.id,
    doc.author.name,
    doc.tags,
    doc.createdAt,
    doc.updatedAt,
    runId,
    JSON.stringify(doc.attachments),
    legacyKey(doc.id),
  ]);
}

async function loadGroup(runId: string, docs: readonly LegacyDocument[]): Promise<void> {
  await pool.query(LOAD_GROUP, [
    docs.map((d) => d.id),
    docs.map((d) => legacyKey(d.id)),
    docs.map((d) => d.title),
    docs.map((d) => d.body),
    docs.map((d) => d.author.id),
    docs.map((d) => d.author.name),
    docs.map((d) => JSON.stringify(d.tags)),
    docs.map((d) => d.createdAt),
    docs.map((d) => d.updatedAt),
    docs.map((d) => JSON.stringify(d.attachments)),
    runId,
  ]);
}

/**
 * Gathers documents and writes them GROUP at a time, at most GROUPS_IN_FLIGHT
 * statements at once. Fetching goes on while a group is written; it waits
 * only when a full group has no statement to go to.
 */
class Grouper {
  private batch: { doc: LegacyDocument; done: (err?: unknown) => void }[] = [];
  private inFlight = 0;
  private readonly freed: (() => void)[] = [];
  private readonly writes = new Set<Promise<void>>();

  constructor(private readonly runId: string) {}

  /** Takes the document (waiting while the writes are behind); `committed` settles when its group is. */
  async add(doc: LegacyDocument): Promise<{ committed: Promise<void> }> {
    while (this.batch.length >= GROUP) await new Promise<void>((r) => this.freed.push(r));
    const committed = new Promise<void>((resolve, reject) => {
      this.batch.push({ doc, done: (err) => (err === undefined ? resolve() : reject(err)) });
    });
    this.write();
    return { committed };
  }

  /** Writes whatever is gathered, and waits for every write. */
  async drain(): Promise<void> {
    while (this.batch.length > 0 || this.writes.size > 0) {
      this.write(true);
      await Promise.race([...this.writes, new Promise<void>((r) => this.freed.push(r))]);
    }
  }

  private write(partial = false): void {
    while (this.inFlight < GROUPS_IN_FLIGHT && (this.batch.length >= GROUP || (partial && this.batch.length > 0))) {
      const group = this.batch.splice(0, GROUP);
      this.inFlight++;
      const write = loadGroup(this.runId, group.map((g) => g.doc)).then(
        () => group.forEach((g) => g.done()),
        (err: unknown) => group.forEach((g) => g.done(err)),
      );
      this.writes.add(write);
      void write.finally(() => {
        this.writes.delete(write);
        this.inFlight--;
        this.write();
        for (const wake of this.freed.splice(0)) wake();
      });
    }
  }
}

const started = performance.now();
const { rows } = await pool.query<{ id: string }>("INSERT INTO import_runs (status) VALUES ('running') RETURNING id");
const runId = (rows[0] as { id: string }).id;
const ids: string[] = [];
let cursor: string | null = null;
do {
  const page = await source.list(cursor, 1000);
  for (const d of page.documents) ids.push(d.id);
  cursor = page.nextCursor;
} while (cursor !== null);
const unique = [...new Set(ids)];

const grouper = new Grouper(runId);
const times: number[] = [];
let next = 0;
let failed = 0;
const fail = (id: string, err: unknown) => {
  failed++;
  process.stderr.write(`baseline: ${id}: ${err instanceof Error ? err.message : String(err)}\n`);
};
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < unique.length) {
      const id = unique[next++] as string;
      const t = performance.now();
      try {
        const doc = extractDocument(pageText(await source.fetchPage(id, AbortSignal.timeout(30_000)), id), id);
        if (mode === "per-document") {
          await loadOne(runId, doc);
          times.push(performance.now() - t);
        } else {
          const { committed } = await grouper.add(doc);
          void committed.then(
            () => times.push(performance.now() - t),
            (err: unknown) => fail(id, err),
          );
        }
      } catch (err) {
        fail(id, err);
      }
    }
  }),
);
await grouper.drain();
await pool.query("UPDATE import_runs SET status = 'completed', finished_at = now() WHERE id = $1", [runId]);
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
