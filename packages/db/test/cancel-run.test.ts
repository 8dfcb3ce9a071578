import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@porter/testing";
import { cancelRun, checkpointListing, countByStatus, createRun, getRun, recordListedPage, reopenCancelled } from "../src/index.js";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase("porter_cancel_run");
});

afterAll(async () => {
  await db?.drop();
});

describe("cancelRun and reopenCancelled", () => {
  it("a run cancelled while listing takes no further page; reopened, it lists on and its rows are pending again", async () => {
    const run = await createRun(db.pool, {});
    await recordListedPage(db.pool, run.id, ["a", "b", "c"]);
    await checkpointListing(db.pool, run.id, "page-2");
    await db.pool.query("UPDATE service_imports SET status = 'succeeded' WHERE run_id = $1 AND legacy_id = 'a'", [run.id]);

    expect(await cancelRun(db.pool, run.id)).toEqual({ was: "listing", rows: 2 });
    expect(await getRun(db.pool, run.id)).toMatchObject({ status: "cancelled", cursor: "page-2" });
    expect((await getRun(db.pool, run.id))?.finishedAt).not.toBeNull();
    expect(await countByStatus(db.pool, run.id)).toMatchObject({ succeeded: 1, cancelled: 2, pending: 0 });
    // The enqueuer's next page finds the run no longer listing and adds nothing.
    const next = await recordListedPage(db.pool, run.id, ["d"]);
    expect(next).toMatchObject({ listing: false, rows: [] });
    // A second cancel moves nothing.
    expect(await cancelRun(db.pool, run.id)).toEqual({ was: "cancelled", rows: 0 });

    const back = await reopenCancelled(db.pool, run.id);
    expect(back.map((r) => r.legacyId).sort()).toEqual(["b", "c"]);
    expect(await getRun(db.pool, run.id)).toMatchObject({ status: "listing", cursor: "page-2", finishedAt: null });
    expect(await countByStatus(db.pool, run.id)).toMatchObject({ succeeded: 1, pending: 2, cancelled: 0 });
    expect((await recordListedPage(db.pool, run.id, ["d"])).listing).toBe(true);
  });

  it("a run cancelled after its listing is running again when reopened; a completed run is not cancelled", async () => {
    const run = await createRun(db.pool, {});
    await recordListedPage(db.pool, run.id, ["x", "y"]);
    await checkpointListing(db.pool, run.id, null);
    expect(await cancelRun(db.pool, run.id)).toEqual({ was: "running", rows: 2 });
    expect(await reopenCancelled(db.pool, run.id)).toHaveLength(2);
    expect((await getRun(db.pool, run.id))?.status).toBe("running");

    await db.pool.query("UPDATE service_imports SET status = 'succeeded' WHERE run_id = $1", [run.id]);
    await db.pool.query("UPDATE import_runs SET status = 'completed' WHERE id = $1", [run.id]);
    expect(await cancelRun(db.pool, run.id)).toEqual({ was: "completed", rows: 0 });
    expect((await getRun(db.pool, run.id))?.status).toBe("completed");
    expect(await cancelRun(db.pool, "00000000-0000-4000-8000-000000000000")).toBeUndefined();
  });
});
