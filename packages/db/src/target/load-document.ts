import pg from "pg";
import { failureFromPgError, ImportFailure } from "@porter/failures";

/** The document as the source gives it; timestamps stay strings so no precision is lost. */
export interface DocumentRecord {
  id: string;
  title: string;
  body: string;
  author: { id: string; name: string };
  tags: string[];
  createdAt: string;
  updatedAt: string;
  attachments: { name: string; url: string; size: number }[];
}

export interface LoadInput {
  ledgerId: string;
  runId: string;
  /** This attempt's number, from 1. */
  attempts: number;
  durationMs: number;
  document: DocumentRecord;
}

/**
 * Loads one document and records its success, in ONE statement (so one
 * transaction and one round trip):
 *  - marks the ledger row `succeeded`, unless it was rolled back meanwhile;
 *  - only if it did, upserts `documents` by legacy_id (the row keeps its id);
 *  - replaces the document's attachments, in source order.
 * $1 ledger id, $2 run id, $3 legacy id, $4 title, $5 body, $6 author id,
 * $7 author name, $8 tags, $9 created at, $10 updated at, $11 attachments
 * (jsonb array of {name,url,size}), $12 attempts, $13 duration ms.
 * Returns 1 when loaded, 0 when the ledger row is gone or rolled back.
 */
const LOAD_DOCUMENT = `
WITH ledger AS (
  UPDATE service_imports
     SET status = 'succeeded', attempts = $12, duration_ms = $13, error_kind = NULL, error_stage = NULL,
         last_error = NULL, stacktrace = NULL, finished_at = now(), updated_at = now()
   WHERE id = $1 AND status <> 'rolled_back'
  RETURNING id
), doc AS (
  INSERT INTO documents AS d (legacy_id, title, body, author_id, author_name, tags, created_at, updated_at, run_id, imported_at)
  SELECT $3, $4, $5, $6, $7, $8::text[], $9::timestamptz, $10::timestamptz, $2, now() FROM ledger
  ON CONFLICT (legacy_id) DO UPDATE
     SET title = EXCLUDED.title, body = EXCLUDED.body, author_id = EXCLUDED.author_id,
         author_name = EXCLUDED.author_name, tags = EXCLUDED.tags, created_at = EXCLUDED.created_at,
         updated_at = EXCLUDED.updated_at, run_id = EXCLUDED.run_id, imported_at = EXCLUDED.imported_at
  RETURNING d.id
), old_attachments AS (
  DELETE FROM document_attachments WHERE document_id IN (SELECT id FROM doc)
), new_attachments AS (
  INSERT INTO document_attachments (document_id, position, name, url, size_bytes)
  SELECT doc.id, a.n - 1, a.e->>'name', a.e->>'url', (a.e->>'size')::bigint
    FROM doc, jsonb_array_elements($11::jsonb) WITH ORDINALITY AS a(e, n)
)
SELECT count(*)::int AS loaded FROM doc`;

function abortReason(): ImportFailure {
  return new ImportFailure("timeout", "load aborted after the attempt's timeout", { stage: "load" });
}

/** Asks Postgres to cancel what backend `pid` runs; on its own connection, since the pool may be full. */
async function cancelBackend(connectionString: string | undefined, pid: number): Promise<void> {
  const client = new pg.Client({ connectionString });
  try {
    await client.connect();
    await client.query("SELECT pg_cancel_backend($1)", [pid]);
  } catch {
    // The statement_timeout set on every connection still bounds the statement.
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Loads one document (see LOAD_DOCUMENT). When `signal` aborts mid-statement
 * the backend is cancelled, so a timed-out attempt never commits later
 * behind the worker's back. Throws ImportFailure (stage `load`).
 */
export async function loadDocument(pool: pg.Pool, input: LoadInput, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) throw abortReason();
  const doc = input.document;
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw failureFromPgError(err, `load "${doc.id}"`);
  }
  let broken: Error | undefined;
  const onAbort = () => {
    const pid = (client as unknown as { processID?: number }).processID;
    if (pid !== undefined) void cancelBackend(pool.options.connectionString, pid);
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    if (signal?.aborted) throw abortReason();
    const { rows } = await client.query({
      name: "porter_load_document",
      text: LOAD_DOCUMENT,
      values: [
        input.ledgerId,
        input.runId,
        doc.id,
        doc.title,
        doc.body,
        doc.author.id,
        doc.author.name,
        doc.tags,
        doc.createdAt,
        doc.updatedAt,
        JSON.stringify(doc.attachments),
        input.attempts,
        Math.round(input.durationMs),
      ],
    });
    return (rows[0] as { loaded: number }).loaded === 1;
  } catch (err) {
    if (err instanceof ImportFailure) throw err;
    // A connection that failed mid-statement is not given back to the pool.
    if (!(err as { code?: string }).code) broken = err as Error;
    if (signal?.aborted && (err as { code?: string }).code === "57014") throw abortReason();
    throw failureFromPgError(err, `load "${doc.id}"`);
  } finally {
    signal?.removeEventListener("abort", onAbort);
    client.release(broken);
  }
}
