import type pg from "pg";
import { archivePages, type ArchivedPage } from "../archive/archive-pages.js";
import { recordFailures, type FailureRecord } from "../ledger/record-failure.js";
import type { LoadInput } from "./load-document.js";
import { projectBatch } from "./project-batch.js";

/**
 * Statement 1 of a group commit: for every input whose ledger row is not
 * rolled back or cancelled, marks the row `succeeded` and upserts its document by
 * legacy_id (through its key: legacy-key.ts). Returns (document id, ledger id) of what it loaded.
 * Arrays, one element per document, all the same length:
 * $1 ledger ids, $2 run ids, $3 legacy ids (distinct), $4 titles, $5 bodies,
 * $6 author ids, $7 author names, $8 tags (each a JSON array: tag lists differ
 * in length, and Postgres arrays must be rectangular), $9 created at,
 * $10 updated at, $11 attempts, $12 durations (ms), $13 transform versions.
 * Documents are upserted in legacy_id order, so two batches that share
 * documents lock them in the same order and cannot deadlock.
 */
const UPSERT_DOCUMENTS = `
WITH input AS (
  SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                       $8::text[], $9::timestamptz[], $10::timestamptz[], $11::int[], $12::int[], $13::int[])
    AS t(ledger_id, run_id, legacy_id, title, body, author_id, author_name, tags, created_at, updated_at,
         attempts, duration_ms, transform_version)
), ledger AS (
  UPDATE service_imports s
     SET status = 'succeeded', attempts = i.attempts, duration_ms = i.duration_ms, error_kind = NULL,
         error_stage = NULL, last_error = NULL, stacktrace = NULL, finished_at = now(), updated_at = now()
    FROM input i
   WHERE s.id = i.ledger_id AND s.status NOT IN ('rolled_back', 'cancelled')
  RETURNING s.id
)
INSERT INTO documents AS d (legacy_id, title, body, author_id, author_name, tags, created_at, updated_at, run_id,
                            transform_version, imported_at)
SELECT i.legacy_id, i.title, i.body, i.author_id, i.author_name,
       ARRAY(SELECT jsonb_array_elements_text(i.tags::jsonb)), i.created_at, i.updated_at, i.run_id,
       i.transform_version, now()
  FROM input i JOIN ledger l ON l.id = i.ledger_id
 ORDER BY i.legacy_id
ON CONFLICT (legacy_key) DO UPDATE
   SET title = EXCLUDED.title, body = EXCLUDED.body, author_id = EXCLUDED.author_id,
       author_name = EXCLUDED.author_name, tags = EXCLUDED.tags, created_at = EXCLUDED.created_at,
       updated_at = EXCLUDED.updated_at, run_id = EXCLUDED.run_id, transform_version = EXCLUDED.transform_version,
       imported_at = EXCLUDED.imported_at
RETURNING d.id, d.legacy_id, (d.xmax = 0) AS inserted`;

/**
 * Statement 2: replaces the attachments of the loaded documents, in source
 * order (its own statement, for the reason given in load-document.ts).
 * $1 document ids, $2 their attachments (each a JSON array of {name,url,size}),
 * $3 the ids among them that existed before (only those can have old attachments:
 * a first migration deletes nothing).
 */
const REPLACE_ATTACHMENTS = `
WITH old AS (DELETE FROM document_attachments WHERE document_id = ANY($3::uuid[]))
INSERT INTO document_attachments (document_id, position, name, url, size_bytes)
SELECT x.document_id, a.n - 1, a.e->>'name', a.e->>'url', (a.e->>'size')::bigint
  FROM unnest($1::uuid[], $2::text[]) AS x(document_id, attachments),
       jsonb_array_elements(x.attachments::jsonb) WITH ORDINALITY AS a(e, n)`;

/** A failed attempt to record, with the page it fetched if one came with 200 (see recordFailedPage). */
export interface FailedAttempt {
  record: FailureRecord;
  page?: ArchivedPage | undefined;
}

/**
 * Loads several documents in ONE transaction on `client` (group commit):
 * the same effect as loadDocument for each (pages archived included), at a
 * fraction of the round trips. Failed attempts that arrived meanwhile are
 * recorded in the same transaction (recordFailures, their pages archived):
 * each on its own would cost a transaction and a WAL flush.
 * All or nothing: on any error the transaction is rolled back and the
 * error thrown, and the caller takes the documents and failures one by one so a bad one
 * fails alone. Legacy ids must be distinct within a batch, and so must the failures' ledger ids.
 * Returns the ledger ids that were loaded (the others are rolled back, cancelled or gone).
 */
export async function loadBatch(
  client: pg.ClientBase,
  inputs: readonly LoadInput[],
  failures: readonly FailedAttempt[] = [],
): Promise<Set<string>> {
  // A dry run's documents share the transaction, but only mark their ledger rows (project-batch.ts).
  const dry = inputs.filter((i) => i.dryRun === true);
  const real = dry.length === 0 ? inputs : inputs.filter((i) => i.dryRun !== true);
  const n = real.length;
  const cols = Array.from({ length: 13 }, () => new Array<unknown>(n));
  const attachments = new Map<string, string>();
  for (let k = 0; k < n; k++) {
    const input = real[k] as LoadInput;
    const doc = input.document;
    (cols[0] as unknown[])[k] = input.ledgerId;
    (cols[1] as unknown[])[k] = input.runId;
    (cols[2] as unknown[])[k] = doc.id;
    (cols[3] as unknown[])[k] = doc.title;
    (cols[4] as unknown[])[k] = doc.body;
    (cols[5] as unknown[])[k] = doc.author.id;
    (cols[6] as unknown[])[k] = doc.author.name;
    (cols[7] as unknown[])[k] = JSON.stringify(doc.tags);
    (cols[8] as unknown[])[k] = doc.createdAt;
    (cols[9] as unknown[])[k] = doc.updatedAt;
    (cols[10] as unknown[])[k] = input.attempts;
    (cols[11] as unknown[])[k] = Math.round(input.durationMs);
    (cols[12] as unknown[])[k] = input.transformVersion ?? 0;
    attachments.set(doc.id, JSON.stringify(doc.attachments));
  }
  // Every row here is reached by key. Without statistics (autovacuum off, never
  // analyzed) the planner guessed that 100 ids match half of the attachments and
  // read all of them per batch on re-runs; no seq scan is ever the right plan here.
  await client.query("BEGIN; SET LOCAL enable_seqscan = off");
  try {
    // Unnamed statements on purpose: a named one gets a generic plan after
    // five runs, and one made while the tables were small seq-scans them for
    // the rest of the run (seen in the benchmark: 20M attachment rows read).
    // Planning once per batch costs little.
    const { rows } =
      n === 0
        ? { rows: [] }
        : await client.query<{ id: string; legacy_id: string; inserted: boolean }>({
            text: UPSERT_DOCUMENTS,
            values: cols,
          });
    if (rows.length > 0) {
      await client.query({
        text: REPLACE_ATTACHMENTS,
        values: [
          rows.map((r) => r.id),
          rows.map((r) => attachments.get(r.legacy_id) ?? "[]"),
          rows.filter((r) => !r.inserted).map((r) => r.id),
        ],
      });
    }
    const pages = [...inputs, ...failures].map((i) => i.page).filter((p): p is ArchivedPage => p !== undefined);
    await archivePages(client, pages);
    await recordFailures(client, failures.map((f) => f.record));
    const projected = await projectBatch(client, dry);
    await client.query("COMMIT");
    const loaded = new Set(rows.map((r) => r.legacy_id));
    return new Set([...real.filter((i) => loaded.has(i.document.id)).map((i) => i.ledgerId), ...projected]);
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  }
}
