import { mkdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import {
  createTestDatabase,
  createTestQueue,
  REDIS_URL,
  runPorter,
  spawnPorter,
  startLegacySimProcess,
  type PorterProcess,
  type TestDatabase,
  type TestQueue,
} from "@porter/testing";
import { launchChromium, startDashboard } from "./dashboard-process.js";

// The dashboard in a real browser (Debian's chromium driven by playwright-core):
// log in, see a finished run with failures, requeue them once the legacy
// fault is gone, watch the counts change; a wrong password is refused; the
// rollback asks, a dismissed question changes nothing, an accepted one rolls back.
const DOCS = 300;
const SEED = 11;
const PASSWORD = "dashboard-test-password";
const ARTIFACTS = new URL("./artifacts/", import.meta.url).pathname;

describe("the dashboard in a browser", () => {
  let db: TestDatabase;
  let queue: TestQueue;
  let browser: Browser;
  let dashboard: PorterProcess;
  let baseUrl: string;
  const processes: PorterProcess[] = [];
  let env: Record<string, string>;
  let runId: string;
  let failed: number;

  beforeAll(async () => {
    db = await createTestDatabase("porter_dashboard");
    queue = createTestQueue("porter_dashboard");
    const faulty = await startLegacySimProcess(["--docs", String(DOCS), "--seed", String(SEED), "--not-found", "0.1"]);
    processes.push(faulty.process);
    env = {
      DATABASE_URL: db.url,
      REDIS_URL,
      QUEUE_PREFIX: queue.prefix,
      LEGACY_URL: faulty.url,
      WORKER_CONCURRENCY: "10",
      JOB_TIMEOUT_MS: "5000",
      BACKOFF_BASE_MS: "100",
      STALLED_INTERVAL_MS: "3000",
    };
    const worker = spawnPorter(["worker"], env);
    const run = await runPorter(["run", "--follow", "--json"], env);
    expect(run.code, run.stderr).toBe(3);
    const summary = JSON.parse(run.stdout) as { runId: string; failed: number; succeeded: number };
    runId = summary.runId;
    failed = summary.failed;
    expect(failed).toBeGreaterThan(0);
    await worker.stop();
    await faulty.process.stop();

    // The legacy service is fixed: same address (the run reads the service it was started
    // against), same corpus, no fault.
    const fixed = await startLegacySimProcess(["--docs", String(DOCS), "--seed", String(SEED), "--port", new URL(faulty.url).port]);
    processes.push(fixed.process);
    processes.push(spawnPorter(["worker"], env));

    ({ process: dashboard, url: baseUrl } = await startDashboard({ ...env, DASHBOARD_PASSWORD: PASSWORD }));
    processes.push(dashboard);
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.allSettled(processes.map((p) => p.stop()));
    await queue?.drop();
    await db?.drop();
  });

  it("refuses a wrong password", async () => {
    const context = await browser.newContext({ httpCredentials: { username: "admin", password: "wrong" } });
    const page = await context.newPage();
    const response = await page.goto(baseUrl);
    expect(response?.status()).toBe(401);
    await context.close();
  });

  it("shows the run's failures, requeues them, and the counts change live", async () => {
    const context = await browser.newContext({ httpCredentials: { username: "admin", password: PASSWORD } });
    const page = await context.newPage();
    const response = await page.goto(baseUrl);
    expect(response?.status()).toBe(200);
    const row = page.locator(`tr[data-run="${runId}"]`);
    await expect(row.locator('[data-count="failed"]').textContent()).resolves.toBe(String(failed));
    await expect(row.locator(".status").textContent()).resolves.toBe("completed");

    await row.locator("a").click();
    await page.waitForURL(`**/runs/${runId}`);
    const group = page.locator('h3[data-kind="not_found"]');
    await expect(group.textContent()).resolves.toContain(String(failed));
    // Each failure shows its legacy id, stage, attempts, message and a folded stack trace.
    const firstFailure = page.locator("table tbody tr").first();
    await expect(firstFailure.locator("td").nth(1).textContent()).resolves.toBe("fetch");
    await expect(firstFailure.locator("details").getAttribute("open")).resolves.toBeNull();
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}dashboard-run.png`, fullPage: true });

    await page.getByRole("button", { name: "Requeue all failed" }).click();
    await expect(page.getByRole("status").textContent()).resolves.toContain(`Requeued ${failed} failed document(s)`);
    // The live summary refreshes by itself until every requeued document succeeded.
    await page.locator('#live [data-count="succeeded"]', { hasText: new RegExp(`^${DOCS}$`) }).waitFor({ timeout: 60_000 });
    await expect(page.locator('#live [data-count="failed"]').textContent()).resolves.toBe("0");
    await expect(page.locator('#live [data-count="left"]').textContent()).resolves.toBe("0");
    const { rows } = await db.pool.query<{ status: string; n: number }>(
      "SELECT status, count(*)::int AS n FROM service_imports WHERE run_id = $1 GROUP BY 1",
      [runId],
    );
    expect(rows).toEqual([{ status: "succeeded", n: DOCS }]);
    await page.goto(baseUrl);
    await page.screenshot({ path: `${ARTIFACTS}dashboard-runs.png`, fullPage: true });
    await context.close();
  }, 120_000);

  it("refuses a state-changing request from another site", async () => {
    const res = await fetch(`${baseUrl}/runs/${runId}/rollback`, {
      method: "POST",
      headers: {
        authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString("base64")}`,
        origin: "https://evil.example",
        "content-type": "application/x-www-form-urlencoded",
      },
      body: "confirm=yes",
    });
    expect(res.status).toBe(403);
    const { rows } = await db.pool.query<{ status: string }>("SELECT status FROM import_runs WHERE id = $1", [runId]);
    expect(rows[0]?.status).not.toBe("rolled_back");
  });

  it("asks before rolling a run back: dismissed, nothing changes; accepted, the run is rolled back", async () => {
    const context = await browser.newContext({ httpCredentials: { username: "admin", password: PASSWORD } });
    const page = await context.newPage();
    await page.goto(`${baseUrl}/runs/${runId}`);
    // Every rollback request the page makes, and every dialog it shows.
    const rollbackPosts: string[] = [];
    page.on("request", (r) => {
      if (r.method() === "POST" && r.url().endsWith("/rollback")) rollbackPosts.push(r.url());
    });
    const dialogs: { type: string; message: string }[] = [];
    let answer: "dismiss" | "accept" = "dismiss";
    page.on("dialog", (dialog) => {
      dialogs.push({ type: dialog.type(), message: dialog.message() });
      void (answer === "accept" ? dialog.accept() : dialog.dismiss());
    });
    const question = `Roll back run ${runId}? Every document it wrote is deleted from the target.`;
    const footprint = async () => {
      const { rows } = await db.pool.query<{ ledger: unknown; docs: number; run: string }>(
        `SELECT (SELECT json_agg(json_build_object('status', status, 'n', n) ORDER BY status)
                   FROM (SELECT status::text, count(*)::int AS n FROM service_imports WHERE run_id = $1 GROUP BY 1) s) AS ledger,
                (SELECT count(*)::int FROM documents WHERE run_id = $1) AS docs,
                (SELECT status::text FROM import_runs WHERE id = $1) AS run`,
        [runId],
      );
      return rows[0];
    };
    const before = await footprint();
    expect(before?.run).toBe("completed");
    expect(before?.docs).toBeGreaterThan(0);

    await page.getByRole("button", { name: "Roll back run" }).click();
    expect(dialogs).toEqual([{ type: "confirm", message: question }]);
    // Still on the run's page, with the button: nothing was sent, nothing changed.
    await page.getByRole("button", { name: "Roll back run" }).waitFor();
    expect(await footprint()).toEqual(before);

    answer = "accept";
    await page.getByRole("button", { name: "Roll back run" }).click();
    await expect(page.getByRole("status").textContent()).resolves.toContain("Rolled back");
    expect(dialogs).toEqual([
      { type: "confirm", message: question },
      { type: "confirm", message: question },
    ]);
    // One POST in all: the dismissed dialog sent none.
    expect(rollbackPosts).toHaveLength(1);
    const { rows } = await db.pool.query<{ docs: number; run: string }>(
      "SELECT (SELECT count(*)::int FROM documents WHERE run_id = $1) AS docs, (SELECT status::text FROM import_runs WHERE id = $1) AS run",
      [runId],
    );
    expect(rows[0]).toEqual({ docs: 0, run: "rolled_back" });
    await context.close();
  }, 120_000);
});
