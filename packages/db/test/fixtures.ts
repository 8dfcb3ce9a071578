import type pg from "pg";
import { createRun, recordListedPage, type DocumentRecord } from "../src/index.js";

export function sampleDocument(id: string, overrides: Partial<DocumentRecord> = {}): DocumentRecord {
  return {
    id,
    title: `Title of ${id}`,
    body: `<p>Body of ${id}</p>`,
    author: { id: "u1", name: "Ada Lovelace" },
    tags: ["alpha", "beta"],
    createdAt: "2020-01-02T03:04:05.123456Z",
    updatedAt: "2021-06-07T08:09:10.654321+02:00",
    attachments: [{ name: "file.pdf", url: "https://example.com/file.pdf", size: 1234 }],
    ...overrides,
  };
}

/** A run with one pending ledger row per legacy id; returns the run id and the row ids by legacy id. */
export async function seedRun(pool: pg.Pool, legacyIds: string[]): Promise<{ runId: string; ledger: Map<string, string> }> {
  const run = await createRun(pool, { test: true });
  const { rows } = await recordListedPage(pool, run.id, legacyIds);
  return { runId: run.id, ledger: new Map(rows.map((r) => [r.legacyId, r.id])) };
}

export function ledgerId(seed: { ledger: Map<string, string> }, legacyId: string): string {
  const id = seed.ledger.get(legacyId);
  if (id === undefined) throw new Error(`no ledger row for ${legacyId}`);
  return id;
}

export interface LedgerRowState {
  status: string;
  attempts: number;
  error_kind: string | null;
  error_stage: string | null;
  last_error: string | null;
  stacktrace: string | null;
  duration_ms: number | null;
  finished_at: Date | null;
}

export async function ledgerRow(pool: pg.Pool, id: string): Promise<LedgerRowState> {
  const { rows } = await pool.query(
    `SELECT status, attempts, error_kind, error_stage, last_error, stacktrace, duration_ms, finished_at
       FROM service_imports WHERE id = $1`,
    [id],
  );
  if (!rows[0]) throw new Error(`ledger row ${id} is gone`);
  return rows[0] as LedgerRowState;
}
