import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext } from "playwright-core";
import { openSignedInDashboard, type SignedInDashboard } from "./dashboard-process.js";
import { parseSummary } from "./run-check.js";
import { openScenario, type Scenario } from "./scenario.js";

// Bull Board's queue page charts the jobs completed and failed per minute from
// BullMQ's own metrics, which only a worker that collects them fills: after a
// real run, the chart is there and counts every job the run made.
const PASSWORD = "queue-metrics-test-password";
const DOCS = 60;
const JOB_DOCUMENTS = 5;

describe("Bull Board's throughput chart", () => {
  let scenario: Scenario;
  let signedIn: SignedInDashboard | undefined;
  let context: BrowserContext;
  let baseUrl: string;

  beforeAll(async () => {
    scenario = await openScenario({ name: "porter_queue_metrics", docs: DOCS, seed: 7 });
    const extra = { JOB_DOCUMENTS: String(JOB_DOCUMENTS) };
    scenario.spawn(["worker"], extra);
    const run = scenario.spawn(["run", "--follow", "--json"], extra);
    expect(await run.exited).toBe(0);
    expect(parseSummary(run.stdout())).toMatchObject({ status: "completed", succeeded: DOCS, failed: 0 });
    signedIn = await openSignedInDashboard(scenario.env, PASSWORD);
    ({ url: baseUrl, context } = signedIn);
  }, 180_000);

  afterAll(async () => {
    await signedIn?.close();
    await scenario?.close();
  });

  it("counts the run's jobs, one per chunk of JOB_DOCUMENTS documents", async () => {
    const response = await context.request.get(`${baseUrl}/queues/api/queues/imports/metrics`);
    expect(response.status()).toBe(200);
    const metrics = (await response.json()) as { completed: { meta: { count: number } } | null; failed: { meta: { count: number } } | null };
    // One listing page of 60 ids, cut into chunks of 5; no document failed, so no retry job.
    expect(metrics.completed?.meta.count).toBe(DOCS / JOB_DOCUMENTS);
    expect(metrics.failed?.meta.count ?? 0).toBe(0);
  });

  it("shows the chart on the queue's page instead of asking for metrics to be enabled", async () => {
    const page = await context.newPage();
    expect((await page.goto(`${baseUrl}/queues/queue/imports`))?.status()).toBe(200);
    await page.getByText("Completed / min").first().waitFor({ timeout: 20_000 });
    expect(await page.getByText("No metrics collected yet").count()).toBe(0);
    await page.close();
  }, 60_000);
});
