import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext } from "playwright-core";
import { createImportQueue, createRedis, importJob, type ImportQueue } from "@porter/queue";
import { createTestDatabase, createTestQueue, REDIS_URL, type TestDatabase, type TestQueue } from "@porter/testing";
import type { Redis } from "ioredis";
import { openSignedInDashboard, type SignedInDashboard } from "./dashboard-process.js";

// Bull Board, at its current major, on the BullMQ 6 queue: its queue list and
// a job's view work in Debian's chromium, and no request leaves the machine
// while its pages load (it asks Google for web fonts; the dashboard drops that).
const PASSWORD = "board-test-password";

describe("Bull Board in the dashboard", () => {
  let db: TestDatabase;
  let tq: TestQueue;
  let connection: Redis;
  let queue: ImportQueue;
  let signedIn: SignedInDashboard | undefined;
  let context: BrowserContext;
  let baseUrl: string;

  beforeAll(async () => {
    db = await createTestDatabase("porter_dashboard_board");
    tq = createTestQueue("porter_dashboard_board");
    connection = createRedis(REDIS_URL, { role: "producer" });
    queue = createImportQueue(connection, tq.prefix);
    // Three jobs that wait: no worker runs in this test.
    await queue.addBulk(
      ["doc-a", "doc-b", "doc-c"].map((legacyId, i) =>
        importJob({ id: `00000000-0000-4000-8000-00000000000${i}`, runId: "11111111-1111-4111-8111-111111111111", legacyId, updatedAt: null }, { attempts: 3 }),
      ),
    );
    signedIn = await openSignedInDashboard({
      DATABASE_URL: db.url,
      REDIS_URL,
      QUEUE_PREFIX: tq.prefix,
    }, PASSWORD);
    ({ url: baseUrl, context } = signedIn);
  }, 120_000);

  afterAll(async () => {
    await signedIn?.close();
    await queue?.close();
    await connection?.quit();
    await tq?.drop();
    await db?.drop();
  });

  it("lists the queue with its waiting jobs, opens a job, and asks nothing of any other host", async () => {
    const page = await context.newPage();
    const elsewhere: string[] = [];
    const origin = new URL(baseUrl).origin;
    page.on("request", (request) => {
      if (!request.url().startsWith(`${origin}/`) && !request.url().startsWith("data:")) elsewhere.push(request.url());
    });
    const response = await page.goto(`${baseUrl}/queues`);
    expect(response?.status()).toBe(200);
    expect(await response?.text()).not.toContain("fonts.googleapis.com");
    await page.getByText("imports", { exact: true }).first().waitFor({ timeout: 20_000 });

    // The queue's own page: its waiting jobs, by their ids.
    await page.goto(`${baseUrl}/queues/queue/imports?status=waiting`);
    await page.getByText("00000000-0000-4000-8000-000000000001").first().waitFor({ timeout: 20_000 });
    for (const id of ["00000000-0000-4000-8000-000000000000", "00000000-0000-4000-8000-000000000002"]) {
      expect(await page.getByText(id).count()).toBeGreaterThan(0);
    }
    // A job's own view shows its data.
    await page.goto(`${baseUrl}/queues/queue/imports/00000000-0000-4000-8000-000000000001`);
    await page.getByText("doc-b").first().waitFor({ timeout: 20_000 });
    await page.waitForLoadState("networkidle");
    expect(elsewhere).toEqual([]);
    await page.close();
  }, 90_000);
});
