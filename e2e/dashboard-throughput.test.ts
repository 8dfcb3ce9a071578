import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext } from "playwright-core";
import { createRun, recordListedPage, type Run } from "@porter/db";
import { createTestDatabase, createTestQueue, REDIS_URL, type TestDatabase, type TestQueue } from "@porter/testing";
import { openSignedInDashboard, type SignedInDashboard } from "./dashboard-process.js";

// A run's page charts the documents ended per interval, from the ledger's end
// times: a run of 120 s whose documents ended in two bursts, seen in chromium.
const PASSWORD = "throughput-test-password";

describe("a run's throughput chart", () => {
  let db: TestDatabase;
  let queue: TestQueue;
  let signedIn: SignedInDashboard | undefined;
  let context: BrowserContext;
  let baseUrl: string;
  let run: Run;
  let empty: Run;

  beforeAll(async () => {
    db = await createTestDatabase("porter_dashboard_throughput");
    queue = createTestQueue("porter_dashboard_throughput");
    run = await createRun(db.pool, {});
    const ids = Array.from({ length: 30 }, (_, i) => `doc-${String(i).padStart(2, "0")}`);
    await recordListedPage(db.pool, run.id, ids);
    await db.pool.query(
      `UPDATE import_runs SET status = 'completed', started_at = '2026-01-01T10:00:00Z', listed_at = '2026-01-01T10:00:01Z',
              finished_at = '2026-01-01T10:02:00Z' WHERE id = $1`,
      [run.id],
    );
    // 12 succeed 5 s in; 10 succeed and 8 fail 100 s in. 120 s over 60 intervals: 2 s each.
    const end = (legacyIds: string[], status: string, at: string) =>
      db.pool.query(`UPDATE service_imports SET status = $3::import_status, finished_at = $4 WHERE run_id = $1 AND legacy_id = ANY($2)`, [
        run.id,
        legacyIds,
        status,
        at,
      ]);
    await end(ids.slice(0, 12), "succeeded", "2026-01-01T10:00:05Z");
    await end(ids.slice(12, 22), "succeeded", "2026-01-01T10:01:40.5Z");
    await end(ids.slice(22), "failed", "2026-01-01T10:01:41Z");
    empty = await createRun(db.pool, {});
    signedIn = await openSignedInDashboard({
      DATABASE_URL: db.url,
      REDIS_URL,
      QUEUE_PREFIX: queue.prefix,
    }, PASSWORD);
    ({ url: baseUrl, context } = signedIn);
  }, 120_000);

  afterAll(async () => {
    await signedIn?.close();
    await queue?.drop();
    await db?.drop();
  });

  it("draws a bar per interval with the documents finished and failed in it", async () => {
    const page = await context.newPage();
    expect((await page.goto(`${baseUrl}/runs/${run.id}`))?.status()).toBe(200);
    const bars = await page.locator("figure.chart svg g[data-bucket]").evaluateAll((gs) =>
      gs.map((g) => ({ bucket: Number(g.getAttribute("data-bucket")), finished: Number(g.getAttribute("data-finished")), failed: Number(g.getAttribute("data-failed")) })),
    );
    // Intervals 0 … 50 (100.5 s and 101 s fall in the 51st, 100–102 s), empty ones included.
    expect(bars).toHaveLength(51);
    expect(bars.filter((b) => b.finished + b.failed > 0)).toEqual([
      { bucket: 2, finished: 12, failed: 0 },
      { bucket: 50, finished: 10, failed: 8 },
    ]);
    expect(await page.locator("figure.chart svg").getAttribute("aria-label")).toBe("30 documents ended over 51 intervals of 2 s");
    expect(await page.locator("figure.chart g[data-bucket='50'] title").textContent()).toBe("100–102 s: 10 finished, 8 failed");
    await page.goto(`${baseUrl}/runs/${empty.id}`);
    expect(await page.locator("[data-chart=empty]").textContent()).toBe("No document has ended yet.");
    await page.close();
  });
});
