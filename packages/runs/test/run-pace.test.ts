import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkpointListing, createRun, recordListedPage, requeueFailed } from "@porter/db";
import { createTestDatabase, type TestDatabase } from "@porter/testing";
import { RECENT_MS, RecentPace, readProgress } from "../src/follow-run.js";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase("porter_run_pace");
});

afterAll(async () => {
  await db?.drop();
});

describe("a run's pace", () => {
  it("counts the time it worked, not the time it sat completed before a requeue", async () => {
    const run = await createRun(db.pool, {});
    const ids = Array.from({ length: 100 }, (_, i) => `doc-${i}`);
    await recordListedPage(db.pool, run.id, ids);
    await checkpointListing(db.pool, run.id, null);
    // 90 documents succeed and 10 fail, 12 s after the start; the run completes.
    await db.pool.query("UPDATE import_runs SET started_at = now() - interval '12 s' WHERE id = $1", [run.id]);
    await db.pool.query(
      `UPDATE service_imports SET status = CASE WHEN legacy_id = ANY($2) THEN 'failed' ELSE 'succeeded' END::import_status,
              finished_at = now()
        WHERE run_id = $1`,
      [run.id, ids.slice(90)],
    );
    const first = await readProgress(db.pool, run.id);
    expect(first).toMatchObject({ status: "completed", succeeded: 90, failed: 10 });
    expect(first.elapsedMs).toBeGreaterThanOrEqual(12_000);
    const firstPace = first.docsPerSecond;

    // An hour later (as far as the run's clock goes), the failures are requeued and succeed at once.
    await db.pool.query(
      "UPDATE import_runs SET started_at = started_at - interval '1 hour', finished_at = finished_at - interval '1 hour' WHERE id = $1",
      [run.id],
    );
    expect(await requeueFailed(db.pool, run.id)).toHaveLength(10);
    const reopened = await readProgress(db.pool, run.id);
    expect(reopened.status).toBe("running");
    // The hour does not count: the pace is still about the first span's.
    expect(reopened.elapsedMs).toBeLessThan(60_000);
    await db.pool.query("UPDATE service_imports SET status = 'succeeded', finished_at = now() WHERE run_id = $1 AND status = 'pending'", [run.id]);
    const done = await readProgress(db.pool, run.id);
    expect(done).toMatchObject({ status: "completed", succeeded: 100, failed: 0 });
    expect(done.elapsedMs).toBeGreaterThanOrEqual(first.elapsedMs);
    expect(done.elapsedMs).toBeLessThan(60_000);
    // Counted over its age, the pace would be 100 documents in an hour and 12 s.
    expect(done.docsPerSecond).toBeGreaterThan(firstPace * 0.9);
  });
});

describe("RecentPace", () => {
  it("is the pace of the last RECENT_MS, unknown before a second has passed, 0 while nothing finishes", () => {
    const pace = new RecentPace();
    expect(pace.add(0, 0)).toBeUndefined();
    expect(pace.add(500, 100)).toBeUndefined();
    expect(pace.add(2_000, 400)).toBe(200);
    // A slow start is forgotten once it is older than the window: only the last RECENT_MS counts.
    let finished = 400;
    for (let at = 3_000; at <= 2_000 + RECENT_MS * 2; at += 1_000) {
      finished += 50;
      pace.add(at, finished);
    }
    expect(pace.add(2_000 + RECENT_MS * 2 + 1_000, finished + 50)).toBe(50);
    // Then nothing finishes (retries waiting out their backoff): the pace falls to 0.
    const stalled = 2_000 + RECENT_MS * 4;
    expect(pace.add(stalled, finished + 50)).toBe(0);
  });
});
