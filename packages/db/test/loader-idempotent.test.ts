import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, sampleDocument, type TestDatabase } from "@porter/testing";
import { loadDocument } from "../src/index.js";
import { ledgerId, ledgerRow, seedRun } from "./fixtures.js";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase("porter_loader_idem");
});

afterAll(async () => {
  await db?.drop();
});

async function documentsFor(legacyId: string): Promise<{ id: string; run_id: string; title: string }[]> {
  const { rows } = await db.pool.query("SELECT id, run_id, title FROM documents WHERE legacy_id = $1", [legacyId]);
  return rows as { id: string; run_id: string; title: string }[];
}

async function attachmentsFor(documentId: string): Promise<{ position: number; name: string; url: string; size_bytes: string }[]> {
  const { rows } = await db.pool.query(
    "SELECT position, name, url, size_bytes FROM document_attachments WHERE document_id = $1 ORDER BY position",
    [documentId],
  );
  return rows as { position: number; name: string; url: string; size_bytes: string }[];
}

describe("loadDocument is idempotent", () => {
  it("the same document twice gives one row, same id, ledger succeeded with the later attempt", async () => {
    const seed = await seedRun(db.pool, ["same"]);
    const id = ledgerId(seed, "same");
    const input = { ledgerId: id, runId: seed.runId, attempts: 1, durationMs: 10.4, document: sampleDocument("same") };

    expect(await loadDocument(db.pool, input)).toBe(true);
    const [first] = await documentsFor("same");
    expect(first).toBeDefined();
    // The loader adds its own wait (pool) to the attempt's time so far.
    const firstRow = await ledgerRow(db.pool, id);
    expect(firstRow).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(firstRow.duration_ms).toBeGreaterThanOrEqual(10);

    // a retry after a crash that had committed: loads again
    expect(await loadDocument(db.pool, { ...input, attempts: 2, durationMs: 20 })).toBe(true);
    const docs = await documentsFor("same");
    expect(docs).toHaveLength(1);
    expect(docs[0]?.id).toBe(first?.id);
    const second = await ledgerRow(db.pool, id);
    expect(second).toMatchObject({ status: "succeeded", attempts: 2 });
    expect(second.duration_ms).toBeGreaterThanOrEqual(20);
    expect(await attachmentsFor(first?.id as string)).toHaveLength(1);
  });

  it("a second run over the same legacy id updates the row in place and takes it over", async () => {
    const one = await seedRun(db.pool, ["rerun"]);
    await loadDocument(db.pool, {
      ledgerId: ledgerId(one, "rerun"),
      runId: one.runId,
      attempts: 1,
      durationMs: 1,
      document: sampleDocument("rerun", { title: "first" }),
    });
    const [before] = await documentsFor("rerun");

    const two = await seedRun(db.pool, ["rerun"]);
    expect(
      await loadDocument(db.pool, {
        ledgerId: ledgerId(two, "rerun"),
        runId: two.runId,
        attempts: 1,
        durationMs: 1,
        document: sampleDocument("rerun", { title: "second" }),
      }),
    ).toBe(true);
    const docs = await documentsFor("rerun");
    expect(docs).toEqual([{ id: before?.id, run_id: two.runId, title: "second" }]);
  });

  it("a reload with other attachments replaces the old ones, in source order", async () => {
    const seed = await seedRun(db.pool, ["att"]);
    const base = { ledgerId: ledgerId(seed, "att"), runId: seed.runId, attempts: 1, durationMs: 1 };
    await loadDocument(db.pool, {
      ...base,
      document: sampleDocument("att", {
        attachments: [
          { name: "old-1", url: "https://x/1", size: 1 },
          { name: "old-2", url: "https://x/2", size: 2 },
          { name: "old-3", url: "https://x/3", size: 3 },
        ],
      }),
    });
    const [doc] = await documentsFor("att");
    expect((await attachmentsFor(doc?.id as string)).map((a) => a.name)).toEqual(["old-1", "old-2", "old-3"]);

    const next = [
      { name: "z-last-alphabetically", url: "https://y/z", size: 30 },
      { name: "a-first-alphabetically", url: "https://y/a", size: 10 },
    ];
    await loadDocument(db.pool, { ...base, attempts: 2, document: sampleDocument("att", { attachments: next }) });
    expect(await attachmentsFor(doc?.id as string)).toEqual([
      { position: 0, name: "z-last-alphabetically", url: "https://y/z", size_bytes: "30" },
      { position: 1, name: "a-first-alphabetically", url: "https://y/a", size_bytes: "10" },
    ]);

    // and with none, none are left
    await loadDocument(db.pool, { ...base, attempts: 3, document: sampleDocument("att", { attachments: [] }) });
    expect(await attachmentsFor(doc?.id as string)).toEqual([]);
    const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM document_attachments WHERE document_id = $1", [doc?.id]);
    expect(rows[0]).toEqual({ n: 0 });
  });

  it("the ledger row clears an earlier attempt's error on success", async () => {
    const seed = await seedRun(db.pool, ["was-failing"]);
    const id = ledgerId(seed, "was-failing");
    await db.pool.query(
      "UPDATE service_imports SET attempts = 1, error_kind = 'http_5xx', error_stage = 'fetch', last_error = 'x', stacktrace = 'y' WHERE id = $1",
      [id],
    );
    await loadDocument(db.pool, { ledgerId: id, runId: seed.runId, attempts: 2, durationMs: 3, document: sampleDocument("was-failing") });
    const row = await ledgerRow(db.pool, id);
    expect(row).toMatchObject({ status: "succeeded", attempts: 2, error_kind: null, error_stage: null, last_error: null, stacktrace: null });
    expect(row.finished_at).toBeInstanceOf(Date);
  });
});

describe("loadDocument and a rolled-back ledger row", () => {
  it("returns false and writes no document", async () => {
    const seed = await seedRun(db.pool, ["rolled"]);
    const id = ledgerId(seed, "rolled");
    await db.pool.query("UPDATE service_imports SET status = 'rolled_back' WHERE id = $1", [id]);
    expect(
      await loadDocument(db.pool, { ledgerId: id, runId: seed.runId, attempts: 1, durationMs: 1, document: sampleDocument("rolled") }),
    ).toBe(false);
    expect(await documentsFor("rolled")).toEqual([]);
    expect(await ledgerRow(db.pool, id)).toMatchObject({ status: "rolled_back", attempts: 0 });
    const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM document_attachments a JOIN documents d ON d.id = a.document_id WHERE d.legacy_id = 'rolled'");
    expect(rows[0]).toEqual({ n: 0 });
  });

  it("returns false for a ledger row that does not exist", async () => {
    const seed = await seedRun(db.pool, ["ghost-run"]);
    expect(
      await loadDocument(db.pool, {
        ledgerId: "00000000-0000-4000-8000-000000000000",
        runId: seed.runId,
        attempts: 1,
        durationMs: 1,
        document: sampleDocument("ghost"),
      }),
    ).toBe(false);
    expect(await documentsFor("ghost")).toEqual([]);
  });

  it("does not touch the existing document of an earlier run", async () => {
    const one = await seedRun(db.pool, ["kept"]);
    await loadDocument(db.pool, {
      ledgerId: ledgerId(one, "kept"),
      runId: one.runId,
      attempts: 1,
      durationMs: 1,
      document: sampleDocument("kept", { title: "from run one" }),
    });
    const two = await seedRun(db.pool, ["kept"]);
    await db.pool.query("UPDATE service_imports SET status = 'rolled_back' WHERE id = $1", [ledgerId(two, "kept")]);
    expect(
      await loadDocument(db.pool, {
        ledgerId: ledgerId(two, "kept"),
        runId: two.runId,
        attempts: 1,
        durationMs: 1,
        document: sampleDocument("kept", { title: "from run two", attachments: [] }),
      }),
    ).toBe(false);
    expect(await documentsFor("kept")).toMatchObject([{ run_id: one.runId, title: "from run one" }]);
    const [doc] = await documentsFor("kept");
    expect(await attachmentsFor(doc?.id as string)).toHaveLength(1);
  });
});

