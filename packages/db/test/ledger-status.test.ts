import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@porter/testing";
import {
  checkpointListing,
  completeRunIfDone,
  countByStatus,
  countFailuresByKind,
  createRun,
  getRun,
  IMPORT_STATUSES,
  recordListedPage,
} from "../src/index.js";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase("porter_ledger_status");
});

afterAll(async () => {
  await db?.drop();
});

async function setStatus(runId: string, legacyIds: string[], status: string, kind?: string): Promise<void> {
  await db.pool.query(
    "UPDATE service_imports SET status = $3::import_status, error_kind = $4 WHERE run_id = $1 AND legacy_id = ANY($2::text[])",
    [runId, legacyIds, status, kind ?? null],
  );
}

/** The plain count, every status present (0 when none). */
async function plainCounts(runId: string): Promise<Record<string, number>> {
  const { rows } = await db.pool.query(
    "SELECT status, count(*)::int AS n FROM service_imports WHERE run_id = $1 GROUP BY status",
    [runId],
  );
  const counts: Record<string, number> = Object.fromEntries(IMPORT_STATUSES.map((s) => [s, 0]));
  for (const row of rows as { status: string; n: number }[]) counts[row.status] = row.n;
  return counts;
}

describe("countByStatus", () => {
  it("agrees with a plain SELECT status, count(*) as rows move", async () => {
    const run = await createRun(db.pool, {});
    const ids = Array.from({ length: 20 }, (_, i) => `d${i}`);
    await recordListedPage(db.pool, run.id, ids.slice(0, 12));
    await recordListedPage(db.pool, run.id, ids.slice(8));

    const check = async () => {
      const counts = await countByStatus(db.pool, run.id);
      const { listed, ...byStatus } = counts;
      expect(byStatus).toEqual(await plainCounts(run.id));
      expect(listed).toBe(20);
    };
    await check();
    await setStatus(run.id, ["d0", "d1", "d2"], "running");
    await check();
    await setStatus(run.id, ["d3", "d4", "d5", "d6"], "succeeded");
    await setStatus(run.id, ["d7", "d8"], "failed", "not_found");
    await setStatus(run.id, ["d9"], "rolled_back");
    await check();
    await setStatus(run.id, ["d10", "d11"], "cancelled");
    await check();
    await setStatus(run.id, ids, "succeeded");
    await check();
    expect((await countByStatus(db.pool, run.id)).succeeded).toBe(20);
  });

  it("is all zeros for a run with no rows", async () => {
    const run = await createRun(db.pool, {});
    expect(await countByStatus(db.pool, run.id)).toEqual({
      listed: 0,
      pending: 0,
      running: 0,
      succeeded: 0,
      failed: 0,
      rolled_back: 0,
      skipped: 0,
      cancelled: 0,
    });
  });

  it("only counts its own run", async () => {
    const one = await createRun(db.pool, {});
    const two = await createRun(db.pool, {});
    await recordListedPage(db.pool, one.id, ["a", "b", "c"]);
    await recordListedPage(db.pool, two.id, ["a"]);
    await setStatus(two.id, ["a"], "failed", "http_5xx");
    expect(await countByStatus(db.pool, one.id)).toMatchObject({ listed: 3, pending: 3, failed: 0, succeeded: 0 });
    expect(await countByStatus(db.pool, two.id)).toMatchObject({ listed: 1, pending: 0, failed: 1, succeeded: 0 });
  });
});

describe("completeRunIfDone", () => {
  it("completes a running run only when nothing is pending or running", async () => {
    const run = await createRun(db.pool, {});
    await recordListedPage(db.pool, run.id, ["a", "b", "c"]);

    // still listing: never completed, even with every row done
    await setStatus(run.id, ["a", "b", "c"], "succeeded");
    expect(await completeRunIfDone(db.pool, run.id)).toBe(false);
    expect((await getRun(db.pool, run.id))?.status).toBe("listing");

    await setStatus(run.id, ["a"], "pending");
    await setStatus(run.id, ["b"], "running");
    await checkpointListing(db.pool, run.id, null);
    expect(await completeRunIfDone(db.pool, run.id)).toBe(false);
    await setStatus(run.id, ["a"], "failed", "not_found");
    expect(await completeRunIfDone(db.pool, run.id)).toBe(false);
    expect((await getRun(db.pool, run.id))?.status).toBe("running");

    await setStatus(run.id, ["b"], "succeeded");
    expect(await completeRunIfDone(db.pool, run.id)).toBe(true);
    const done = await getRun(db.pool, run.id);
    expect(done?.status).toBe("completed");
    expect(done?.finishedAt).not.toBeNull();
    // a second call changes nothing and says so
    expect(await completeRunIfDone(db.pool, run.id)).toBe(false);
  });

  it("leaves a cancelled run alone", async () => {
    const run = await createRun(db.pool, {});
    await db.pool.query("UPDATE import_runs SET status = 'cancelled' WHERE id = $1", [run.id]);
    expect(await completeRunIfDone(db.pool, run.id)).toBe(false);
    expect((await getRun(db.pool, run.id))?.status).toBe("cancelled");
  });
});

describe("countFailuresByKind", () => {
  it("groups a run's failed rows by kind, largest first, then by name", async () => {
    const run = await createRun(db.pool, {});
    await recordListedPage(db.pool, run.id, ["a", "b", "c", "d", "e", "f", "g", "h"]);
    await setStatus(run.id, ["a", "b", "c"], "failed", "not_found");
    await setStatus(run.id, ["d"], "failed", "invalid_json");
    await setStatus(run.id, ["e"], "failed", "http_4xx");
    await setStatus(run.id, ["f"], "failed"); // no kind recorded
    // a pending row with a kind (between retries) is not a failure
    await setStatus(run.id, ["g"], "pending", "http_5xx");

    expect(await countFailuresByKind(db.pool, run.id)).toEqual([
      { kind: "not_found", count: 3 },
      { kind: "http_4xx", count: 1 },
      { kind: "invalid_json", count: 1 },
      { kind: "unknown", count: 1 },
    ]);
  });

  it("is empty for a run without failures", async () => {
    const run = await createRun(db.pool, {});
    await recordListedPage(db.pool, run.id, ["a"]);
    expect(await countFailuresByKind(db.pool, run.id)).toEqual([]);
  });
});
