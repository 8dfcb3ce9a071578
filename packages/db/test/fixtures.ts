import type pg from "pg";
import { createRun, recordListedPage } from "../src/index.js";

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
