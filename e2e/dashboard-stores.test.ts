import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "node:net";
import {
  createTestDatabase,
  createTestQueue,
  REDIS_URL,
  runPorter,
  startPrivateRedis,
  waitFor,
  type PorterProcess,
  type PrivateRedis,
  type TestDatabase,
  type TestQueue,
} from "@porter/testing";
import { startDashboard } from "./dashboard-process.js";

// The dashboard runs on while Redis comes and goes: one log line when it goes,
// one when it is back, never a stack trace per reconnect; /readyz says which
// store is missing; /healthz has the worker's shape; a PORT in use is a clear error.
// The Redis is this test's own.
describe("the dashboard, its stores and its port", () => {
  let db: TestDatabase;
  let queue: TestQueue;
  let redis: PrivateRedis | undefined;
  let dashboard: PorterProcess | undefined;
  let url: string;

  beforeAll(async () => {
    db = await createTestDatabase("porter_dashboard_stores");
    queue = createTestQueue("porter_dashboard_stores");
    redis = await startPrivateRedis();
    ({ process: dashboard, url } = await startDashboard({ DATABASE_URL: db.url, REDIS_URL: redis.url, QUEUE_PREFIX: queue.prefix }));
  });

  afterAll(async () => {
    await dashboard?.stop();
    await redis?.stop();
    await queue?.drop();
    await db?.drop();
  });

  const get = async (path: string) => {
    const res = await fetch(`${url}${path}`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const lines = (d: PorterProcess, text: string) => d.stdout().split("\n").filter((l) => l.includes(text));

  it("says one line when Redis goes and one when it is back; /readyz names it meanwhile", async () => {
    const d = dashboard as PorterProcess;
    expect(await get("/healthz")).toEqual({ status: 200, body: { status: "ok" } });
    expect(await get("/readyz")).toEqual({ status: 200, body: { status: "ready" } });

    const port = Number(new URL((redis as PrivateRedis).url).port);
    await (redis as PrivateRedis).stop();
    redis = undefined;
    await waitFor("the dashboard to say Redis is gone", () => (lines(d, "redis unreachable at").length > 0 ? true : undefined));
    const unready = await get("/readyz");
    expect(unready.status).toBe(503);
    expect(unready.body).toMatchObject({ status: "unready", services: ["redis"] });
    expect((unready.body.problems as string[])[0]).toMatch(/^cannot reach Redis at REDIS_URL=redis:\/\/127\.0\.0\.1:\d+\/?: connection refused$/);
    // Reconnect attempts go on behind it, silently.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(lines(d, "redis unreachable at")).toHaveLength(1);
    expect(d.stderr()).not.toContain("ECONNREFUSED");
    expect(d.stdout()).not.toContain("    at ");

    redis = await startPrivateRedis([], { port });
    await waitFor("the dashboard to say Redis is back", () => (lines(d, "redis is back after").length > 0 ? true : undefined), { timeoutMs: 30_000 });
    expect(lines(d, "redis is back after")).toHaveLength(1);
    expect(await get("/readyz")).toEqual({ status: 200, body: { status: "ready" } });
  }, 90_000);

  it("a PORT another process holds stops start-up with one line naming PORT, exit 2", async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      const out = await runPorter(["dashboard"], { DATABASE_URL: db.url, REDIS_URL, QUEUE_PREFIX: queue.prefix, PORT: String(port) });
      expect(out.code).toBe(2);
      expect(out.stderr).toBe(`porter: PORT=${port}: 127.0.0.1:${port} is in use by another process; choose another PORT\n`);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});
