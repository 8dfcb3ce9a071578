import pg from "pg";
import { failureFromPgError, ImportFailure } from "@porter/failures";
import { archivePages, type ArchivedPage } from "../archive/archive-pages.js";
import { projectBatch } from "./project-batch.js";

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
  /** The attempt's time so far; the loader adds its own wait (pool, batch) up to the write. */
  durationMs: number;
  document: DocumentRecord;
  /**
   * The version of the extraction and transform that made `document` (TRANSFORM_VERSION), recorded
   * on its row; absent: 0, a version no changed-only run takes as unchanged.
   */
  transformVersion?: number;
  /** A dry run's document: its ledger row records what a real run would do (project-batch.ts); nothing else is written. */
  dryRun?: boolean | undefined;
  /** The page the document came from, archived in the same transaction (the archive lives in the target database). */
  page?: ArchivedPage | undefined;
}

/**
 * Statement 1: marks the ledger row `succeeded` unless it was rolled back or cancelled
 * meanwhile, and only if it did, upserts `documents` by legacy_id, through
 * its key (legacy-key.ts; the row keeps its id). Returns the document's id, or no row.
 * $1 ledger id, $2 run id, $3 legacy id, $4 title, $5 body, $6 author id,
 * $7 author name, $8 tags, $9 created at, $10 updated at, $11 attempts,
 * $12 duration ms, $13 transform version.
 */
const UPSERT_DOCUMENT = `
WITH ledger AS (
  UPDATE service_imports
     SET status = 'succeeded', attempts = $11, duration_ms = $12, error_kind = NULL, error_stage = NULL,
         last_error = NULL, stacktrace = NULL, finished_at = now(), updated_at = now()
   WHERE id = $1 AND status NOT IN ('rolled_back', 'cancelled')
  RETURNING id
)
INSERT INTO documents AS d (legacy_id, title, body, author_id, author_name, tags, created_at, updated_at, run_id,
                            transform_version, imported_at)
SELECT $3, $4, $5, $6, $7, $8::text[], $9::timestamptz, $10::timestamptz, $2, $13, now() FROM ledger
ON CONFLICT (legacy_key) DO UPDATE
   SET title = EXCLUDED.title, body = EXCLUDED.body, author_id = EXCLUDED.author_id,
       author_name = EXCLUDED.author_name, tags = EXCLUDED.tags, created_at = EXCLUDED.created_at,
       updated_at = EXCLUDED.updated_at, run_id = EXCLUDED.run_id, transform_version = EXCLUDED.transform_version,
       imported_at = EXCLUDED.imported_at
RETURNING d.id`;

/**
 * Statement 2: replaces the document's attachments, in source order.
 * A statement of its own, after statement 1 holds the document's row lock,
 * so its snapshot sees the attachments of any load of the same document
 * that committed first (in one statement it would not, and both sets stay).
 * $1 document id, $2 attachments (jsonb array of {name,url,size}).
 */
const REPLACE_ATTACHMENTS = `
WITH old AS (DELETE FROM document_attachments WHERE document_id = $1)
INSERT INTO document_attachments (document_id, position, name, url, size_bytes)
SELECT $1, a.n - 1, a.e->>'name', a.e->>'url', (a.e->>'size')::bigint
  FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS a(e, n)`;

function timedOut(): ImportFailure {
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
 * Loads one document in one transaction (statements above, and its page
 * into the archive when it carries one). Returns false
 * when the ledger row is gone, rolled back or cancelled: nothing is written then.
 *
 * When `signal` aborts mid-transaction the backend is cancelled, so a
 * timed-out attempt never commits later behind the worker's back; that
 * connection is then discarded, so a late cancel cannot hit the next
 * document's statement. Throws ImportFailure (stage `load`).
 */
export async function loadDocument(pool: pg.Pool, input: LoadInput, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) throw timedOut();
  const called = performance.now();
  const doc = input.document;
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw failureFromPgError(err, `load "${doc.id}"`);
  }
  let cancelling: Promise<void> | undefined;
  const onAbort = () => {
    const pid = (client as unknown as { processID?: number }).processID;
    if (pid !== undefined) cancelling = cancelBackend(pool.options.connectionString, pid);
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  let discard = false;
  try {
    if (signal?.aborted) throw timedOut();
    await client.query("BEGIN");
    if (input.dryRun === true) {
      const projected = await projectBatch(client, [input]);
      if (input.page) await archivePages(client, [input.page]);
      await client.query("COMMIT");
      return projected.size > 0;
    }
    const { rows } = await client.query<{ id: string }>({
      name: "porter_upsert_document",
      text: UPSERT_DOCUMENT,
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
        input.attempts,
        Math.round(input.durationMs + performance.now() - called),
        input.transformVersion ?? 0,
      ],
    });
    const documentId = rows[0]?.id;
    if (documentId !== undefined) {
      await client.query({
        name: "porter_replace_attachments",
        text: REPLACE_ATTACHMENTS,
        values: [documentId, JSON.stringify(doc.attachments)],
      });
    }
    // A page is kept even when its row was rolled back meanwhile: it was fetched with 200.
    if (input.page) await archivePages(client, [input.page]);
    await client.query("COMMIT");
    return documentId !== undefined;
  } catch (err) {
    // Whatever failed, this connection may hold an open or aborted transaction.
    discard = true;
    if (err instanceof ImportFailure) throw err;
    if (signal?.aborted) throw timedOut();
    throw failureFromPgError(err, `load "${doc.id}"`);
  } finally {
    signal?.removeEventListener("abort", onAbort);
    if (cancelling) {
      await cancelling;
      discard = true;
    }
    client.release(discard);
  }
}
