import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@porter/testing";
import { sampleDocument } from "@porter/testing";
import { checkpointListing, createRun, getRun, loadDocument, recordListedPage } from "../src/index.js";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase("porter_ledger_listing");
});

afterAll(async () => {
  await db?.drop();
});

async function rowsOf(runId: string): Promise<{ id: string; legacy_id: string; status: string }[]> {
  const { rows } = await db.pool.query(
    "SELECT id, legacy_id, status FROM service_imports WHERE run_id = $1 ORDER BY legacy_id",
    [runId],
  );
  return rows as { id: string; legacy_id: string; status: string }[];
}

describe("createRun", () => {
  it("starts a run in `listing` with no cursor, nothing listed, its options kept", async () => {
    const run = await createRun(db.pool, { limit: 10, source: "legacy" });
    expect(run).toMatchObject({ status: "listing", cursor: null, listed: 0, options: { limit: 10, source: "legacy" } });
    expect(run.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number.isNaN(Date.parse(run.startedAt))).toBe(false);
    expect(run.listedAt).toBeNull();
    expect(run.finishedAt).toBeNull();
    expect(await getRun(db.pool, run.id)).toEqual(run);
  });
});

describe("recordListedPage", () => {
  it("inserts one pending row per new id and counts them in `listed`", async () => {
    const run = await createRun(db.pool, {});
    const page = await recordListedPage(db.pool, run.id, ["a", "b", "c"]);
    expect(page.listed).toBe(3);
    expect(page.rows.map((r) => r.legacyId).sort()).toEqual(["a", "b", "c"]);
    expect(page.rows.every((r) => r.status === "pending")).toBe(true);

    const stored = await rowsOf(run.id);
    expect(stored.map((r) => [r.legacy_id, r.status])).toEqual([
      ["a", "pending"],
      ["b", "pending"],
      ["c", "pending"],
    ]);
    // the returned ids are the stored ones
    expect(new Map(page.rows.map((r) => [r.legacyId, r.id]))).toEqual(new Map(stored.map((r) => [r.legacy_id, r.id])));
    expect((await getRun(db.pool, run.id))?.listed).toBe(3);
  });

  it("records the listing's updatedAt of each id, and returns it for the job", async () => {
    const run = await createRun(db.pool, {});
    const page = await recordListedPage(db.pool, run.id, [
      { id: "a", updatedAt: "2024-05-01T10:00:00.123456Z" },
      { id: "b", updatedAt: null },
      "c",
      { id: "bad\u0000", problem: "holds NUL", updatedAt: "not a time" },
    ]);
    const byId = Object.fromEntries(page.rows.map((r) => [r.legacyId, r.updatedAt]));
    expect(byId).toEqual({ a: "2024-05-01T10:00:00.123456Z", b: null, c: null, '"bad\\u0000"': "not a time" });
    const { rows } = await db.pool.query<{ legacy_id: string; listed_updated_at: string | null }>(
      "SELECT legacy_id, listed_updated_at FROM service_imports WHERE run_id = $1 ORDER BY legacy_id",
      [run.id],
    );
    expect(rows).toEqual([
      { legacy_id: '"bad\\u0000"', listed_updated_at: "not a time" },
      { legacy_id: "a", listed_updated_at: "2024-05-01T10:00:00.123456Z" },
      { legacy_id: "b", listed_updated_at: null },
      { legacy_id: "c", listed_updated_at: null },
    ]);
  });

  it("returns the old rows for a repeated page without inserting twice", async () => {
    const run = await createRun(db.pool, {});
    const first = await recordListedPage(db.pool, run.id, ["a", "b"]);
    // one row moves on meanwhile: the repeat reports its current status
    await db.pool.query("UPDATE service_imports SET status = 'succeeded' WHERE run_id = $1 AND legacy_id = 'b'", [run.id]);
    const again = await recordListedPage(db.pool, run.id, ["a", "b"]);

    expect(again.listed).toBe(2);
    expect([...again.rows].sort((x, y) => x.legacyId.localeCompare(y.legacyId))).toEqual([
      { id: first.rows.find((r) => r.legacyId === "a")?.id, legacyId: "a", status: "pending", updatedAt: null, fresh: false },
      { id: first.rows.find((r) => r.legacyId === "b")?.id, legacyId: "b", status: "succeeded", updatedAt: null, fresh: false },
    ]);
    expect(first.rows.map((r) => r.fresh)).toEqual([true, true]);
    expect(await rowsOf(run.id)).toHaveLength(2);
    expect((await getRun(db.pool, run.id))?.listed).toBe(2);
  });

  it("mixes old and new ids on one page: each returned once, only the new counted", async () => {
    const run = await createRun(db.pool, {});
    await recordListedPage(db.pool, run.id, ["a", "b"]);
    const page = await recordListedPage(db.pool, run.id, ["b", "c", "a", "d"]);
    expect(page.rows.map((r) => r.legacyId).sort()).toEqual(["a", "b", "c", "d"]);
    expect(page.rows.filter((r) => r.fresh).map((r) => r.legacyId).sort()).toEqual(["c", "d"]);
    expect(page.listed).toBe(4);
    expect(await rowsOf(run.id)).toHaveLength(4);
  });

  it("dedupes an id repeated within the page", async () => {
    const run = await createRun(db.pool, {});
    const page = await recordListedPage(db.pool, run.id, ["x", "y", "x", "x", "z", "y"]);
    expect(page.rows.map((r) => r.legacyId).sort()).toEqual(["x", "y", "z"]);
    expect(page.listed).toBe(3);
    expect(await rowsOf(run.id)).toHaveLength(3);
  });

  it("keeps runs apart: the same legacy id gets a row per run", async () => {
    const one = await createRun(db.pool, {});
    const two = await createRun(db.pool, {});
    const a = await recordListedPage(db.pool, one.id, ["shared"]);
    const b = await recordListedPage(db.pool, two.id, ["shared"]);
    expect(a.rows[0]?.id).not.toBe(b.rows[0]?.id);
    expect(a.listed).toBe(1);
    expect(b.listed).toBe(1);
  });

  it("stores ids holding spaces, slashes, quotes and unicode as given", async () => {
    const run = await createRun(db.pool, {});
    const ids = ["a b/c", 'q"uo\'te', "日本語 🚀", "back\\slash", "{brace,comma}", "NULL"];
    const page = await recordListedPage(db.pool, run.id, ids);
    expect(page.rows.map((r) => r.legacyId).sort()).toEqual([...ids].sort());
    expect((await rowsOf(run.id)).map((r) => r.legacy_id).sort()).toEqual([...ids].sort());
  });

  it("`listed` always equals the run's number of distinct ids over many pages", async () => {
    const run = await createRun(db.pool, {});
    const pages = [["1", "2", "3"], [], ["3", "4", "4"], ["1", "5"], ["6"]];
    let last = 0;
    for (const ids of pages) {
      if (ids.length === 0) continue;
      last = (await recordListedPage(db.pool, run.id, ids)).listed;
    }
    const { rows } = await db.pool.query("SELECT count(DISTINCT legacy_id)::int AS n, count(*)::int AS total FROM service_imports WHERE run_id = $1", [run.id]);
    expect(rows[0]).toEqual({ n: 6, total: 6 });
    expect(last).toBe(6);
    expect((await getRun(db.pool, run.id))?.listed).toBe(6);
  });
});

describe("checkpointListing", () => {
  it("saves the cursor and keeps the run `listing` while pages remain", async () => {
    const run = await createRun(db.pool, {});
    await checkpointListing(db.pool, run.id, "cursor-2");
    const saved = await getRun(db.pool, run.id);
    expect(saved).toMatchObject({ status: "listing", cursor: "cursor-2", listedAt: null });
  });

  it("with null ends the listing: `running`, no cursor, listed_at set", async () => {
    const run = await createRun(db.pool, {});
    await checkpointListing(db.pool, run.id, "c1");
    await checkpointListing(db.pool, run.id, null);
    const saved = await getRun(db.pool, run.id);
    expect(saved?.status).toBe("running");
    expect(saved?.cursor).toBeNull();
    expect(saved?.listedAt).not.toBeNull();
  });

  it("does not move a run that is no longer listing", async () => {
    const run = await createRun(db.pool, {});
    await db.pool.query("UPDATE import_runs SET status = 'cancelled' WHERE id = $1", [run.id]);
    await checkpointListing(db.pool, run.id, null);
    expect((await getRun(db.pool, run.id))?.status).toBe("cancelled");
  });
});

describe("recordListedPage in a changed-only run", () => {
  const STAMP = "2021-06-07T08:09:10.654321+02:00";

  /** A document in the target, as a run at `transformVersion` loaded it. */
  async function loaded(legacyId: string, transformVersion: number): Promise<void> {
    const run = await createRun(db.pool, {});
    const { rows } = await recordListedPage(db.pool, run.id, [legacyId]);
    const ledgerId = rows[0]?.id as string;
    const document = sampleDocument(legacyId, { updatedAt: STAMP });
    expect(await loadDocument(db.pool, { ledgerId, runId: run.id, attempts: 1, durationMs: 1, document, transformVersion })).toBe(true);
  }

  it("skips exactly the documents the target holds with the same updatedAt instant and transform version", async () => {
    await loaded("same", 3);
    await loaded("same-instant-other-offset", 3);
    await loaded("newer-at-source", 3);
    await loaded("older-transform", 2);
    await loaded("odd-stamp", 3);
    const run = await createRun(db.pool, {}, { changedOnly: true });
    const page = await recordListedPage(
      db.pool,
      run.id,
      [
        { id: "same", updatedAt: STAMP, comparable: true },
        // the same instant, written in UTC: unchanged
        { id: "same-instant-other-offset", updatedAt: "2021-06-07T06:09:10.654321Z", comparable: true },
        { id: "newer-at-source", updatedAt: "2021-06-08T08:09:10.654321+02:00", comparable: true },
        { id: "older-transform", updatedAt: STAMP, comparable: true },
        // an updatedAt that is no timestamp can never be compared: fetched
        { id: "odd-stamp", updatedAt: "yesterday", comparable: false },
        { id: "not-in-target", updatedAt: STAMP, comparable: true },
        { id: "bad\u0000", problem: "holds NUL", updatedAt: STAMP },
      ],
      null,
      { skipUnchanged: { transformVersion: 3 } },
    );
    const status = Object.fromEntries(page.rows.map((r) => [r.legacyId, r.status]));
    expect(status).toEqual({
      same: "skipped",
      "same-instant-other-offset": "skipped",
      "newer-at-source": "pending",
      "older-transform": "pending",
      "odd-stamp": "pending",
      "not-in-target": "pending",
      '"bad\\u0000"': "failed",
    });
    expect(page.listed).toBe(7);
    const finished = await db.pool.query<{ legacy_id: string }>(
      "SELECT legacy_id FROM service_imports WHERE run_id = $1 AND status = 'skipped' AND finished_at IS NOT NULL ORDER BY legacy_id",
      [run.id],
    );
    expect(finished.rows.map((r) => r.legacy_id)).toEqual(["same", "same-instant-other-offset"]);
  });

  it("skips nothing without the option, whatever the target holds", async () => {
    await loaded("full-run", 3);
    const run = await createRun(db.pool, {});
    const page = await recordListedPage(db.pool, run.id, [{ id: "full-run", updatedAt: STAMP, comparable: true }]);
    expect(page.rows.map((r) => r.status)).toEqual(["pending"]);
  });
});
