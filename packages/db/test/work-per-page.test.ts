import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, sampleDocument, type TestDatabase } from "@porter/testing";
import { countByStatus, loadBatch, recordListedPage } from "../src/index.js";
import { ledgerId, seedRun } from "./fixtures.js";

/*
 * The work a listing page or a load batch does must follow the page, not the
 * size of the run or of the tables: a migration of a million documents must
 * not slow down as it goes. These tests run on tables never analyzed (where
 * autovacuum is off, as on the CI machine, the planner has no statistics and
 * once chose plans that read every row of the run per page) and count the
 * rows each statement read, from the table's statistics counters.
 */

let db: TestDatabase;
const BIG = 20_000;

beforeAll(async () => {
  db = await createTestDatabase("porter_work_per_page");
});

afterAll(async () => {
  await db?.drop();
});

interface TableWork {
  seq_scan: number;
  seq_tup_read: number;
  idx_tup_fetch: number;
}

async function work(client: pg.ClientBase, view: string, table: string): Promise<TableWork> {
  const { rows } = await client.query<TableWork>(
    `SELECT seq_scan::int, seq_tup_read::int, coalesce(idx_tup_fetch, 0)::int AS idx_tup_fetch
       FROM ${view} WHERE relname = $1`,
    [table],
  );
  return rows[0] as TableWork;
}

/** What the current transaction of `client` did to `table` so far. */
function workInTransaction(client: pg.ClientBase, table: string): Promise<TableWork> {
  return work(client, "pg_stat_xact_user_tables", table);
}

/** Everything counted for `table` so far (flushed by `client`'s own session first). */
async function workSoFar(client: pg.ClientBase, table: string): Promise<TableWork> {
  await client.query("SELECT pg_stat_force_next_flush()");
  await client.query("SELECT pg_stat_clear_snapshot()");
  return work(client, "pg_stat_user_tables", table);
}

describe("a listing page on a run of 20,000 rows, without statistics", () => {
  it("probes one index entry per id of the page and never scans the run", async () => {
    const seed = await seedRun(db.pool, ["seed-0"]);
    await db.pool.query(
      "INSERT INTO service_imports (run_id, legacy_id, legacy_key) SELECT $1, 'old-' || g, sha256(convert_to('old-' || g, 'UTF8')) FROM generate_series(1, $2::int) g",
      [seed.runId, BIG],
    );
    const page = [...Array.from({ length: 10 }, (_, k) => `old-${k + 1}`), ...Array.from({ length: 500 }, (_, k) => `new-${k}`)];

    const client = await db.pool.connect();
    try {
      await client.query("BEGIN");
      const written = await recordListedPage(client, seed.runId, page);
      const work = await workInTransaction(client, "service_imports");
      await client.query("ROLLBACK");

      expect(written.rows).toHaveLength(510);
      expect(written.rows.filter((r) => r.legacyId.startsWith("old-")).every((r) => r.status === "pending")).toBe(true);
      expect(work.seq_scan).toBe(0);
      // One probe per id (510) and the old rows it found; a plan that reads the
      // whole run fetches 20,000 and more.
      expect(work.idx_tup_fetch).toBeLessThan(2_000);
    } finally {
      client.release();
    }
  });
});

describe("a load batch of documents loaded before, among 20,000 documents, without statistics", () => {
  it("replaces their attachments by key and never scans the attachments table", async () => {
    const ids = Array.from({ length: 100 }, (_, k) => `doc-${k + 1}`);
    // Documents a previous run wrote, two attachments each.
    await db.pool.query(
      `WITH d AS (
         INSERT INTO documents (legacy_id, title, body, author_id, author_name, tags, created_at, updated_at, run_id)
         SELECT 'doc-' || g, 't', 'b', 'a', 'n', '{}', now(), now(), gen_random_uuid() FROM generate_series(1, $1::int) g
         RETURNING id)
       INSERT INTO document_attachments (document_id, position, name, url, size_bytes)
       SELECT d.id, p, 'f', 'u', 1 FROM d, generate_series(0, 1) p`,
      [BIG],
    );
    const seed = await seedRun(db.pool, ids);
    const inputs = ids.map((id) => ({
      ledgerId: seed.ledger.get(id) as string,
      runId: seed.runId,
      attempts: 1,
      durationMs: 5,
      document: sampleDocument(id),
    }));

    const client = await db.pool.connect();
    try {
      const before = await workSoFar(client, "document_attachments");
      const loaded = await loadBatch(client, inputs);
      const after = await workSoFar(client, "document_attachments");

      expect(loaded.size).toBe(100);
      expect(after.seq_scan - before.seq_scan).toBe(0);
      expect(after.seq_tup_read - before.seq_tup_read).toBe(0);
      const { rows } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM document_attachments a JOIN documents d ON d.id = a.document_id
          WHERE d.legacy_id = ANY($1::text[])`,
        [ids],
      );
      // sampleDocument has one attachment: the two old ones were replaced.
      expect(rows[0]?.n).toBe(100);
    } finally {
      client.release();
    }
  });
});

describe("counting a run of 20,000 documents by status, without statistics", () => {
  it("reads only the unfinished and failed rows, not the succeeded ones", async () => {
    const seed = await seedRun(db.pool, ["waiting", "broken"]);
    await db.pool.query(
      `INSERT INTO service_imports (run_id, legacy_id, legacy_key, status)
       SELECT $1, 'done-' || g, sha256(convert_to('done-' || g, 'UTF8')), 'succeeded' FROM generate_series(1, $2::int) g`,
      [seed.runId, BIG],
    );
    await db.pool.query("UPDATE import_runs SET listed = listed + $2 WHERE id = $1", [seed.runId, BIG]);
    await db.pool.query("UPDATE service_imports SET status = 'failed' WHERE id = $1", [ledgerId(seed, "broken")]);

    const client = await db.pool.connect();
    try {
      await client.query("BEGIN");
      const counts = await countByStatus(client, seed.runId);
      const work = await workInTransaction(client, "service_imports");
      await client.query("ROLLBACK");

      expect(counts).toMatchObject({ listed: BIG + 2, pending: 1, failed: 1, succeeded: BIG });
      expect(work.seq_scan).toBe(0);
      // `status <> 'succeeded'` fetched all 20,002 rows of the run and threw 20,000 away.
      expect(work.idx_tup_fetch).toBeLessThan(100);
    } finally {
      client.release();
    }
  });
});
