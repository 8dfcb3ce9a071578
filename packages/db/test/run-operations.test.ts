import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, sampleDocument, type TestDatabase } from "@porter/testing";
import {
  addListedPage,
  beginRollback,
  claimForRevival,
  compareWithListing,
  countRunFootprint,
  createListingSnapshot,
  createRun,
  deleteRunDocuments,
  findStaleImports,
  finishRollback,
  getRun,
  listFailures,
  loadDocument,
  markImportsRolledBack,
  recordFailure,
  recordListedPage,
  requeueFailed,
  completeRunIfDone,
  checkpointListing,
} from "../src/index.js";
import { ledgerId, ledgerRow, seedRun } from "./fixtures.js";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase("porter_run_ops");
});

afterAll(async () => {
  await db?.drop();
});

async function fail(pool: pg.Pool, id: string, kind: string): Promise<void> {
  await recordFailure(pool, {
    ledgerId: id,
    attempts: 1,
    kind,
    stage: "fetch",
    message: `${kind} happened`,
    stacktrace: "ImportFailure: at fetch",
    durationMs: 5,
    final: true,
  });
}

async function load(pool: pg.Pool, seed: { runId: string; ledger: Map<string, string> }, legacyId: string): Promise<void> {
  await loadDocument(pool, {
    ledgerId: ledgerId(seed, legacyId),
    runId: seed.runId,
    attempts: 1,
    durationMs: 1,
    document: sampleDocument(legacyId),
  });
}

describe("listFailures and requeueFailed", () => {
  it("pages through failures, then requeues them (one kind, then all) keeping the last error", async () => {
    const ids = Array.from({ length: 7 }, (_, i) => `f${i}`);
    const seed = await seedRun(db.pool, [...ids, "ok"]);
    await checkpointListing(db.pool, seed.runId, null);
    for (const [i, id] of ids.entries()) await fail(db.pool, ledgerId(seed, id), i < 3 ? "not_found" : "invalid_json");
    await load(db.pool, seed, "ok");
    expect(await completeRunIfDone(db.pool, seed.runId)).toBe(true);

    const pages: string[][] = [];
    let after: string | undefined;
    for (;;) {
      const page = await listFailures(db.pool, seed.runId, { limit: 3, after });
      if (page.length === 0) break;
      pages.push(page.map((f) => f.legacyId));
      after = page.at(-1)?.id;
    }
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat().sort()).toEqual(ids);
    const [one] = await listFailures(db.pool, seed.runId, { kind: "not_found", limit: 1 });
    expect(one).toMatchObject({ kind: "not_found", stage: "fetch", message: "not_found happened", attempts: 1, stacktrace: "ImportFailure: at fetch" });
    expect(await listFailures(db.pool, seed.runId, { kind: "not_found", limit: 10 })).toHaveLength(3);

    const requeued = await requeueFailed(db.pool, seed.runId, "not_found");
    expect(requeued.map((r) => r.legacyId).sort()).toEqual(["f0", "f1", "f2"]);
    expect(requeued.every((r) => r.runId === seed.runId && r.id === ledgerId(seed, r.legacyId))).toBe(true);
    expect(await ledgerRow(db.pool, ledgerId(seed, "f0"))).toMatchObject({
      status: "pending",
      attempts: 0,
      finished_at: null,
      error_kind: "not_found", // kept until the next attempt overwrites it
      last_error: "not_found happened",
    });
    const reopened = await getRun(db.pool, seed.runId);
    expect(reopened).toMatchObject({ status: "running", finishedAt: null });
    expect(await listFailures(db.pool, seed.runId, { limit: 10 })).toHaveLength(4);

    expect((await requeueFailed(db.pool, seed.runId)).map((r) => r.legacyId).sort()).toEqual(["f3", "f4", "f5", "f6"]);
    expect(await requeueFailed(db.pool, seed.runId)).toEqual([]);
  });

  it("never requeues an invalid_id row: it has no job to run and could only fail again", async () => {
    const run = await createRun(db.pool, {});
    await recordListedPage(db.pool, run.id, ["good", { id: "bad\u0000", problem: "holds NUL" }]);
    await checkpointListing(db.pool, run.id, null);
    expect(await requeueFailed(db.pool, run.id)).toEqual([]);
    expect(await requeueFailed(db.pool, run.id, "invalid_id")).toEqual([]);
    expect(await listFailures(db.pool, run.id, { limit: 10 })).toMatchObject([{ kind: "invalid_id", legacyId: '"bad\\u0000"' }]);
  });

  it("requeues nothing in a rolled-back run", async () => {
    const seed = await seedRun(db.pool, ["x"]);
    await fail(db.pool, ledgerId(seed, "x"), "not_found");
    await beginRollback(db.pool, seed.runId);
    expect(await requeueFailed(db.pool, seed.runId)).toEqual([]);
    expect((await ledgerRow(db.pool, ledgerId(seed, "x"))).status).toBe("failed");
  });
});

describe("rollback steps", () => {
  it("stop the listing, mark the ledger, delete the run's documents only, and can be repeated", async () => {
    const older = await seedRun(db.pool, ["shared", "old-only"]);
    await load(db.pool, older, "shared");
    await load(db.pool, older, "old-only");
    const seed = await seedRun(db.pool, ["shared", "a", "b", "c", "d"]);
    for (const id of ["shared", "a", "b"]) await load(db.pool, seed, id);
    await fail(db.pool, ledgerId(seed, "c"), "invalid_json");
    expect(await countRunFootprint(db.pool, seed.runId)).toEqual({ documents: 3, ledgerRows: 5 });

    expect(await beginRollback(db.pool, seed.runId)).toBe("listing");
    expect(await getRun(db.pool, seed.runId)).toMatchObject({ status: "rolled_back", finishedAt: null });
    // The enqueuer can add nothing to the run any more, and is told to stop.
    const late = await recordListedPage(db.pool, seed.runId, ["e", "a"]);
    expect(late.listing).toBe(false);
    expect(late.rows.map((r) => r.legacyId)).toEqual(["a"]);
    expect((await getRun(db.pool, seed.runId))?.listed).toBe(5);

    let marked = 0;
    for (let n = -1; n !== 0; marked += n) n = await markImportsRolledBack(db.pool, seed.runId, 2);
    expect(marked).toBe(5);
    // A load that comes now writes nothing.
    expect(
      await loadDocument(db.pool, { ledgerId: ledgerId(seed, "d"), runId: seed.runId, attempts: 1, durationMs: 1, document: sampleDocument("d") }),
    ).toBe(false);
    let deleted = 0;
    for (let n = -1; n !== 0; deleted += n) n = await deleteRunDocuments(db.pool, seed.runId, 2);
    expect(deleted).toBe(3);
    expect(await finishRollback(db.pool, seed.runId)).toBe(true);
    expect((await getRun(db.pool, seed.runId))?.finishedAt).not.toBeNull();

    const { rows } = await db.pool.query<{ legacy_id: string; run_id: string }>("SELECT legacy_id, run_id FROM documents ORDER BY legacy_id");
    expect(rows.filter((r) => ["shared", "old-only", "a", "b", "d"].includes(r.legacy_id))).toEqual([
      { legacy_id: "old-only", run_id: older.runId },
    ]);
    expect(await countRunFootprint(db.pool, seed.runId)).toEqual({ documents: 0, ledgerRows: 0 });

    // Again: nothing left to do, the run is rolled back again.
    expect(await beginRollback(db.pool, seed.runId)).toBe("rolled_back");
    expect(await markImportsRolledBack(db.pool, seed.runId, 2)).toBe(0);
    expect(await deleteRunDocuments(db.pool, seed.runId, 2)).toBe(0);
    expect(await finishRollback(db.pool, seed.runId)).toBe(true);
  });

  it("skips a ledger row a load holds instead of waiting for it", async () => {
    const seed = await seedRun(db.pool, ["held", "free"]);
    const client = await db.pool.connect();
    try {
      await client.query("BEGIN");
      await client.query("SELECT 1 FROM service_imports WHERE id = $1 FOR UPDATE", [ledgerId(seed, "held")]);
      await beginRollback(db.pool, seed.runId);
      expect(await markImportsRolledBack(db.pool, seed.runId, 10)).toBe(1);
      expect(await markImportsRolledBack(db.pool, seed.runId, 10)).toBe(0);
      expect((await countRunFootprint(db.pool, seed.runId)).ledgerRows).toBe(1);
    } finally {
      await client.query("ROLLBACK");
      client.release();
    }
    expect(await markImportsRolledBack(db.pool, seed.runId, 10)).toBe(1);
  });
});

describe("findStaleImports and claimForRevival", () => {
  it("find unfinished rows of active runs past the grace, page by page, and claim only those still unfinished", async () => {
    const seed = await seedRun(db.pool, ["p1", "p2", "p3", "done", "gone"]);
    const other = await seedRun(db.pool, ["q1"]);
    await beginRollback(db.pool, other.runId); // not active: never revived
    await load(db.pool, seed, "done");
    await db.pool.query("UPDATE service_imports SET updated_at = now() - interval '1 hour'");

    expect(await findStaleImports(db.pool, { graceMs: 2 * 3600_000, limit: 100 })).toEqual([]);
    const all = await findStaleImports(db.pool, { graceMs: 1_000, limit: 100 });
    const mine = all.filter((r) => r.runId === seed.runId);
    expect(mine.map((r) => r.legacyId).sort()).toEqual(["gone", "p1", "p2", "p3"]);
    expect(all.some((r) => r.runId === other.runId)).toBe(false);

    // Keyset paging covers the same rows.
    const paged: string[] = [];
    let after: { runId: string; id: string } | undefined;
    for (;;) {
      const page = await findStaleImports(db.pool, { graceMs: 1_000, limit: 2, after });
      const last = page.at(-1);
      if (!last) break;
      paged.push(...page.map((r) => r.id));
      after = { runId: last.runId, id: last.id };
    }
    expect(paged).toEqual(all.map((r) => r.id));

    // Between the read and the claim, one row finished: it is not claimed.
    await load(db.pool, seed, "gone");
    const claimed = await claimForRevival(db.pool, mine.map((r) => r.id));
    expect(claimed.map((r) => r.legacyId).sort()).toEqual(["p1", "p2", "p3"]);
    // Claimed rows start their grace again.
    expect((await findStaleImports(db.pool, { graceMs: 60_000, limit: 100 })).filter((r) => r.runId === seed.runId)).toEqual([]);
  });
});

describe("compareWithListing", () => {
  it("finds missing, failed, extra and stale documents, comparing timestamps as instants", async () => {
    const run = await createRun(db.pool, {});
    const seed = { runId: run.id, ledger: new Map((await recordListedPage(db.pool, run.id, ["v1", "v2", "v3", "v4", "v5"])).rows.map((r) => [r.legacyId, r.id])) };
    for (const id of ["v1", "v2", "v3"]) await load(db.pool, seed, id);
    await fail(db.pool, ledgerId(seed, "v4"), "not_found");
    await db.pool.query(
      `INSERT INTO documents (legacy_id, title, body, author_id, author_name, tags, created_at, updated_at, run_id)
       VALUES ('v-extra', 't', 'b', 'a', 'n', '{}', now(), now(), $1)`,
      [run.id],
    );
    // sampleDocument's updatedAt is 2021-06-07T08:09:10.654321+02:00.
    const client = await db.pool.connect();
    try {
      await createListingSnapshot(client);
      await addListedPage(
        client,
        ["v1", "v2", "v3", "v4", "v5", "v1"],
        [
          "2021-06-07T06:09:10.654321Z", // the same instant, another offset: not stale
          "2021-06-07T08:09:10.654322+02:00", // one microsecond later: stale
          null, // unreadable at the source: never stale
          "2021-01-01T00:00:00Z",
          "2021-01-01T00:00:00Z",
          "2020-01-01T00:00:00Z", // v1 listed again, earlier: the later one counts
        ],
      );
      const result = await compareWithListing(client, run.id, { sampleSize: 10, onlyRunIds: false });
      expect(result).toEqual({
        listed: 5,
        missing: { count: 1, ids: ["v5"] },
        failed: { count: 1, ids: ["v4"] },
        extra: { count: 1, ids: ["v-extra"] },
        stale: { count: 1, ids: ["v2"] },
      });
      const sample = await compareWithListing(client, run.id, { sampleSize: 0, onlyRunIds: false });
      expect(sample).toMatchObject({ missing: { count: 1, ids: [] }, stale: { count: 1, ids: [] } });
    } finally {
      client.release();
    }
  });
});
