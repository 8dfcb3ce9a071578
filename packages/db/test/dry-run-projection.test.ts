import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, sampleDocument, type TestDatabase } from "@porter/testing";
import { countProjections, loadBatch, loadDocument, type LoadInput } from "../src/index.js";
import { ledgerId, ledgerRow, seedRun } from "./fixtures.js";

// A dry run's documents go through the loader like any other, share its
// transactions, and only mark their ledger rows with what a real run would do.
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase("porter_dry_projection");
});

afterAll(async () => {
  await db?.drop();
});

const STAMP = "2021-06-07T08:09:10.654321+02:00";

async function documents(): Promise<Record<string, { title: string; run_id: string }>> {
  const { rows } = await db.pool.query<{ legacy_id: string; title: string; run_id: string }>("SELECT legacy_id, title, run_id FROM documents");
  return Object.fromEntries(rows.map((r) => [r.legacy_id, { title: r.title, run_id: r.run_id }]));
}

describe("a dry run's loads", () => {
  it("judge each document new, changed or unchanged, and write nothing of it, in a batch shared with real loads", async () => {
    const before = await seedRun(db.pool, ["same", "older", "other-version"]);
    const input = (seed: typeof before, id: string, extra: Partial<LoadInput> = {}): LoadInput => ({
      ledgerId: ledgerId(seed, id),
      runId: seed.runId,
      attempts: 1,
      durationMs: 5,
      document: sampleDocument(id, { updatedAt: STAMP, title: `first ${id}` }),
      transformVersion: 2,
      ...extra,
    });
    const client = await db.pool.connect();
    try {
      await loadBatch(client, [input(before, "same"), input(before, "older"), input(before, "other-version", { transformVersion: 1 })]);
      const dry = await seedRun(db.pool, ["same", "older", "other-version", "absent"]);
      const real = await seedRun(db.pool, ["real-one"]);
      const newer = "2022-01-01T00:00:00Z";
      const loaded = await loadBatch(client, [
        input(dry, "same", { dryRun: true, document: sampleDocument("same", { updatedAt: STAMP, title: "dry" }) }),
        input(dry, "older", { dryRun: true, document: sampleDocument("older", { updatedAt: newer, title: "dry" }) }),
        input(dry, "other-version", { dryRun: true, document: sampleDocument("other-version", { updatedAt: STAMP, title: "dry" }) }),
        input(dry, "absent", { dryRun: true }),
        input(real, "real-one"),
      ]);
      expect(loaded.size).toBe(5);
      expect(await countProjections(db.pool, dry.runId)).toEqual({ new: 1, changed: 2, unchanged: 1 });
      const { rows } = await db.pool.query<{ legacy_id: string; projection: string; status: string }>(
        "SELECT legacy_id, projection, status FROM service_imports WHERE run_id = $1 ORDER BY legacy_id",
        [dry.runId],
      );
      expect(rows).toEqual([
        { legacy_id: "absent", projection: "new", status: "succeeded" },
        { legacy_id: "older", projection: "changed", status: "succeeded" },
        { legacy_id: "other-version", projection: "changed", status: "succeeded" },
        { legacy_id: "same", projection: "unchanged", status: "succeeded" },
      ]);
      // Nothing of the dry run in the target: no "absent", no "dry" title; the real load is there.
      expect(await documents()).toEqual({
        same: { title: "first same", run_id: before.runId },
        older: { title: "first older", run_id: before.runId },
        "other-version": { title: "first other-version", run_id: before.runId },
        "real-one": { title: "first real-one", run_id: real.runId },
      });
    } finally {
      client.release();
    }
  });

  it("alone, through loadDocument, and not for a row rolled back meanwhile", async () => {
    const dry = await seedRun(db.pool, ["lonely", "gone"]);
    const doc = (id: string): LoadInput => ({
      ledgerId: ledgerId(dry, id),
      runId: dry.runId,
      attempts: 2,
      durationMs: 7,
      document: sampleDocument(id),
      dryRun: true,
    });
    await db.pool.query("UPDATE service_imports SET status = 'rolled_back' WHERE id = $1", [ledgerId(dry, "gone")]);
    expect(await loadDocument(db.pool, doc("lonely"))).toBe(true);
    expect(await loadDocument(db.pool, doc("gone"))).toBe(false);
    expect(await ledgerRow(db.pool, ledgerId(dry, "lonely"))).toMatchObject({ status: "succeeded", attempts: 2, duration_ms: 7 });
    expect((await ledgerRow(db.pool, ledgerId(dry, "gone"))).status).toBe("rolled_back");
    expect(Object.keys(await documents())).not.toContain("lonely");
  });
});
