import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toArchivedPage } from "@porter/archive";
import { createRun, recordListedPage, type DocumentRecord, type FailureRecord, type LoadInput } from "@porter/db";
import { ImportFailure } from "@porter/failures";
import { createTestDatabase, type TestDatabase } from "@porter/testing";
import { LoadBatcher } from "../src/load-batcher.js";

function doc(id: string, overrides: Partial<DocumentRecord> = {}): DocumentRecord {
  return {
    id,
    title: `Title ${id}`,
    body: `Body of ${id} — ünïcødé 😀 "quotes" \\ back`,
    author: { id: "a1", name: "Ada" },
    tags: id.endsWith("0") ? [] : ["x", `tag "${id}"`, "{brace,comma}"],
    createdAt: "2020-01-02T03:04:05.123456Z",
    updatedAt: "2021-06-07T08:09:10.654321+02:00",
    attachments: [
      { name: `${id}.pdf`, url: `https://example.com/${id}`, size: 5_000_000_000 },
      { name: "second", url: "https://example.com/2", size: 1 },
    ],
    ...overrides,
  };
}

describe("group commit", () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase("porter_group_commit");
  });
  afterAll(async () => {
    await db?.drop();
  });

  async function seed(ids: string[]): Promise<{ runId: string; ledger: Map<string, string> }> {
    const run = await createRun(db.pool, {});
    const { rows } = await recordListedPage(db.pool, run.id, ids);
    return { runId: run.id, ledger: new Map(rows.map((r) => [r.legacyId, r.id])) };
  }

  function input(s: { runId: string; ledger: Map<string, string> }, d: DocumentRecord): LoadInput {
    return { ledgerId: s.ledger.get(d.id) as string, runId: s.runId, attempts: 1, durationMs: 5, document: d };
  }

  it("loads documents that arrive together in shared transactions, each whole and once", async () => {
    const ids = Array.from({ length: 300 }, (_, i) => `gc-${i}`);
    const s = await seed(ids);
    const batcher = new LoadBatcher(db.pool, { maxBatch: 50, maxInFlight: 2 });
    const results = await Promise.all(ids.map((id) => batcher.load(input(s, doc(id)))));
    expect(results.every(Boolean)).toBe(true);
    expect(batcher.stats.batches).toBeGreaterThan(0);
    expect(batcher.stats.batchedDocuments).toBeGreaterThan(150);
    expect(batcher.stats.batches).toBeLessThan(300);

    const { rows } = await db.pool.query<{ n: number; att: number; ok: number }>(
      `SELECT count(*)::int AS n,
              (SELECT count(*)::int FROM document_attachments) AS att,
              (SELECT count(*)::int FROM service_imports WHERE run_id = $1 AND status = 'succeeded') AS ok
         FROM documents WHERE legacy_id LIKE 'gc-%'`,
      [s.runId],
    );
    expect(rows[0]).toEqual({ n: 300, att: 600, ok: 300 });
    const one = await db.pool.query(
      `SELECT d.tags, d.body, d.created_at = $2::timestamptz AS same_time,
              (SELECT array_agg(size_bytes::text ORDER BY position) FROM document_attachments a WHERE a.document_id = d.id) AS sizes
         FROM documents d WHERE legacy_id = $1`,
      ["gc-7", doc("gc-7").createdAt],
    );
    expect(one.rows[0]).toEqual({
      tags: doc("gc-7").tags,
      body: doc("gc-7").body,
      same_time: true,
      sizes: ["5000000000", "1"],
    });
  });

  it("puts no more text in one transaction than maxBatchChars; a larger document goes alone", async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `chars-${i}`);
    const s = await seed(ids);
    const batcher = new LoadBatcher(db.pool, { maxBatch: 100, maxInFlight: 1, maxBatchChars: 30_000 });
    // Ten of 10,000 code units (three to a transaction at most), two of 50,000 (alone).
    const docs = ids.map((id, i) => doc(id, { body: (i < 10 ? "b" : "B").repeat(i < 10 ? 10_000 - `Title ${id}`.length : 50_000) }));
    // All twelve arrive in one turn: three batches of three, then chars-9, chars-10 and chars-11 alone.
    expect((await Promise.all(docs.map((d) => batcher.load(input(s, d))))).every(Boolean)).toBe(true);
    expect(batcher.stats).toMatchObject({ batches: 3, batchedDocuments: 9 });
    const { rows } = await db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM documents WHERE legacy_id LIKE 'chars-%'");
    expect(rows[0]?.n).toBe(12);
  });

  it("a bad document in a batch fails alone; its neighbours load", async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `bad-${i}`);
    const s = await seed(ids);
    const batcher = new LoadBatcher(db.pool, { maxBatch: 40, maxInFlight: 1 });
    const settled = await Promise.allSettled(
      ids.map((id) =>
        batcher.load(input(s, id === "bad-13" ? doc(id, { createdAt: "not a timestamp" }) : doc(id))),
      ),
    );
    const rejected = settled.flatMap((r, i) => (r.status === "rejected" ? [{ id: ids[i], reason: r.reason as unknown }] : []));
    expect(rejected.map((r) => r.id)).toEqual(["bad-13"]);
    expect(rejected[0]?.reason).toBeInstanceOf(ImportFailure);
    expect((rejected[0]?.reason as ImportFailure).kind).toBe("invalid_document");
    expect(batcher.stats.fallbacks).toBeGreaterThanOrEqual(1);
    const { rows } = await db.pool.query<{ legacy_id: string }>(
      "SELECT legacy_id FROM documents WHERE legacy_id LIKE 'bad-%' ORDER BY legacy_id",
    );
    expect(rows.map((r) => r.legacy_id)).toEqual(ids.filter((id) => id !== "bad-13").sort());
  });

  it("skips rolled-back ledger rows and never puts one legacy id twice in a batch", async () => {
    const a = await seed(["dup", "kept", "gone"]);
    const b = await seed(["dup"]);
    await db.pool.query("UPDATE service_imports SET status = 'rolled_back' WHERE id = $1", [a.ledger.get("gone")]);
    const batcher = new LoadBatcher(db.pool, { maxBatch: 10, maxInFlight: 1 });
    const results = await Promise.all([
      batcher.load(input(a, doc("dup", { title: "from a" }))),
      batcher.load(input(b, doc("dup", { title: "from b" }))),
      batcher.load(input(a, doc("kept"))),
      batcher.load(input(a, doc("gone"))),
    ]);
    expect(results).toEqual([true, true, true, false]);
    const { rows } = await db.pool.query<{ legacy_id: string; n: number }>(
      "SELECT legacy_id, count(*)::int AS n FROM documents WHERE legacy_id IN ('dup', 'kept', 'gone') GROUP BY 1 ORDER BY 1",
    );
    expect(rows).toEqual([
      { legacy_id: "dup", n: 1 },
      { legacy_id: "kept", n: 1 },
    ]);
    const att = await db.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM document_attachments a JOIN documents d ON d.id = a.document_id WHERE d.legacy_id = 'dup'",
    );
    expect(att.rows[0]?.n).toBe(2);
  });

  it("a document whose attempt times out while it waits is not loaded", async () => {
    const s = await seed(["late"]);
    const batcher = new LoadBatcher(db.pool, { maxBatch: 10, maxInFlight: 1 });
    const controller = new AbortController();
    controller.abort();
    await expect(batcher.load(input(s, doc("late")), controller.signal)).rejects.toMatchObject({ kind: "timeout" });
    const { rows } = await db.pool.query("SELECT 1 FROM documents WHERE legacy_id = 'late'");
    expect(rows).toHaveLength(0);
  });

  function failure(s: { ledger: Map<string, string> }, id: string, message = `HTTP 503 for ${id}`): FailureRecord {
    return {
      ledgerId: s.ledger.get(id) as string,
      attempts: 1,
      kind: "http_5xx",
      stage: "fetch",
      message,
      stacktrace: `ImportFailure: ${message}\n    at fetchPage`,
      durationMs: 7,
      final: id.endsWith("0"),
    };
  }

  it("records failed attempts in the same transactions as the documents loaded beside them", async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `fail-${i}`);
    const s = await seed(ids);
    const batcher = new LoadBatcher(db.pool, { maxBatch: 100, maxInFlight: 1 });
    // All forty arrive in one turn: one transaction for twenty loads and twenty failures.
    await Promise.all(
      ids.map((id, i) => (i % 2 === 0 ? batcher.load(input(s, doc(id))) : batcher.record({ record: failure(s, id) }))),
    );
    expect(batcher.stats).toMatchObject({ batches: 1, batchedDocuments: 20, batchedFailures: 20, fallbacks: 0 });
    const { rows } = await db.pool.query<{ transactions: number; succeeded: number; failed: number; pending: number; kinds: string[] }>(
      `SELECT count(DISTINCT xmin::text)::int AS transactions,
              count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded,
              count(*) FILTER (WHERE status = 'failed')::int AS failed,
              count(*) FILTER (WHERE status = 'pending' AND attempts = 1)::int AS pending,
              array_agg(DISTINCT error_kind) FILTER (WHERE error_kind IS NOT NULL) AS kinds
         FROM service_imports WHERE run_id = $1`,
      [s.runId],
    );
    // fail-1, -3 … are failures; those ending in 0 never are (even), so none is final.
    expect(rows[0]).toEqual({ transactions: 1, succeeded: 20, failed: 0, pending: 20, kinds: ["http_5xx"] });
    const one = await db.pool.query("SELECT last_error, error_stage, stacktrace, duration_ms FROM service_imports WHERE id = $1", [
      s.ledger.get("fail-7"),
    ]);
    expect(one.rows[0]).toEqual({
      last_error: "HTTP 503 for fail-7",
      error_stage: "fetch",
      stacktrace: "ImportFailure: HTTP 503 for fail-7\n    at fetchPage",
      duration_ms: 7,
    });
  });

  it("a failure that cannot be recorded fails alone; the documents and failures beside it are written", async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `unrecordable-${i}`);
    const s = await seed(ids);
    const batcher = new LoadBatcher(db.pool, { maxBatch: 100, maxInFlight: 1 });
    const settled = await Promise.allSettled(
      ids.map((id, i) =>
        i < 5
          ? batcher.load(input(s, doc(id)))
          : // Postgres text cannot hold NUL: this statement fails, and with it the shared transaction.
            batcher.record({ record: failure(s, id, id === "unrecordable-7" ? "nul \u0000 byte" : "HTTP 502") }),
      ),
    );
    expect(settled.map((r) => r.status)).toEqual([...Array(7).fill("fulfilled"), "rejected", "fulfilled", "fulfilled"]);
    expect(batcher.stats.fallbacks).toBe(1);
    const { rows } = await db.pool.query<{ legacy_id: string; status: string; last_error: string | null }>(
      "SELECT legacy_id, status, last_error FROM service_imports WHERE run_id = $1 ORDER BY legacy_id",
      [s.runId],
    );
    expect(rows).toEqual(
      ids.map((id, i) => ({
        legacy_id: id,
        status: i < 5 ? "succeeded" : "pending",
        last_error: i < 5 || id === "unrecordable-7" ? null : "HTTP 502",
      })),
    );
  });

  it("records a failed attempt's page with it, in the archive", async () => {
    const s = await seed(["paged-1", "paged-2"]);
    const batcher = new LoadBatcher(db.pool, { maxBatch: 100, maxInFlight: 1 });
    const page = (id: string) =>
      toArchivedPage(
        { bytes: Buffer.from(`<html>${id}</html>`), contentType: "text/html" },
        { runId: s.runId, legacyId: id, updatedAt: null },
      );
    await Promise.all([
      batcher.load(input(s, doc("paged-1"))),
      batcher.record({ record: { ...failure(s, "paged-2"), kind: "invalid_document", stage: "extract" }, page: page("paged-2") }),
    ]);
    expect(batcher.stats).toMatchObject({ batches: 1, batchedFailures: 1 });
    const { rows } = await db.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM porter_archive.pages WHERE run_id = $1 AND legacy_id = 'paged-2'",
      [s.runId],
    );
    expect(rows[0]?.n).toBe(1);
  });
});
