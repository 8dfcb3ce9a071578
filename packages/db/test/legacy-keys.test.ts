import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, sampleDocument, type TestDatabase } from "@porter/testing";
import { createRun, escapedLegacyKey, escapeLegacyId, legacyKey, loadBatch, loadDocument, recordListedPage } from "../src/index.js";
import { ledgerId, seedRun } from "./fixtures.js";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase("porter_legacy_keys");
});

afterAll(async () => {
  await db?.drop();
});

// Far past the 2,704 bytes a btree entry holds; 4-byte UTF-8 characters make the byte count 4x the length.
const LONG = "😀".repeat(5_120); // 10,240 UTF-16 units, 20,480 bytes
const LONGER = `${"x".repeat(65_536)}/tail`;

describe("legacy keys", () => {
  it("the enqueuer's key and Postgres's are the same digest", async () => {
    const ids = ["a", "日本語 🚀", "back\\slash", "é", LONG, LONGER];
    const { rows } = await db.pool.query<{ key: Buffer }>(
      "SELECT porter_legacy_key(id) AS key FROM unnest($1::text[]) WITH ORDINALITY AS t(id, n) ORDER BY n",
      [ids],
    );
    expect(rows.map((r) => r.key.toString("hex"))).toEqual(ids.map((id) => legacyKey(id).toString("hex")));
  });

  it("an id stored escaped never takes the key of a real id that reads like its escaped form", async () => {
    const bad = "a\u0000b";
    const lookalike = escapeLegacyId(bad); // the 10 characters "a\u0000b", quotes included: a valid id
    expect(escapedLegacyKey(bad).equals(legacyKey(lookalike))).toBe(false);
    const run = await createRun(db.pool, {});
    const page = await recordListedPage(db.pool, run.id, [{ id: bad, problem: "NUL" }, lookalike]);
    expect(page.listed).toBe(2);
    const { rows } = await db.pool.query<{ legacy_id: string; status: string }>(
      "SELECT legacy_id, status FROM service_imports WHERE run_id = $1 ORDER BY status",
      [run.id],
    );
    expect(rows).toEqual([
      { legacy_id: lookalike, status: "pending" },
      { legacy_id: lookalike, status: "failed" },
    ]);
  });
});

describe("documents with ids longer than an index entry", () => {
  it("are loaded one by one and in a group commit, and loading again keeps one row", async () => {
    const ids = [LONG, LONGER, `${LONGER}-2`];
    const seed = await seedRun(db.pool, ids);
    expect(await loadDocument(db.pool, { ledgerId: ledgerId(seed, LONG), runId: seed.runId, attempts: 1, durationMs: 1, document: sampleDocument(LONG) })).toBe(true);

    const client = await db.pool.connect();
    try {
      const batch = ids.map((id) => ({ ledgerId: ledgerId(seed, id), runId: seed.runId, attempts: 1, durationMs: 1, document: sampleDocument(id) }));
      const loaded = await loadBatch(client, batch);
      expect(loaded.size).toBe(3);
      // again: upserts by key, no second row
      await loadBatch(client, batch);
    } finally {
      client.release();
    }
    const { rows } = await db.pool.query<{ legacy_id: string; n: number; attachments: number }>(
      `SELECT d.legacy_id, count(*) OVER (PARTITION BY d.legacy_key)::int AS n,
              (SELECT count(*)::int FROM document_attachments a WHERE a.document_id = d.id) AS attachments
         FROM documents d WHERE d.run_id = $1`,
      [seed.runId],
    );
    expect(rows.map((r) => r.legacy_id).sort()).toEqual([...ids].sort());
    expect(rows.every((r) => r.n === 1 && r.attachments === 1)).toBe(true);
  });
});
