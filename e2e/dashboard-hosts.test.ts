import { request } from "node:http";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRun, recordListedPage } from "@porter/db";
import { createImportQueue, createRedis, type ImportQueue } from "@porter/queue";
import {
  createTestDatabase,
  createTestQueue,
  REDIS_URL,
  spawnPorter,
  waitFor,
  type PorterProcess,
  type TestDatabase,
  type TestQueue,
} from "@porter/testing";

// DNS rebinding: a page on evil.example whose name is made to resolve to
// 127.0.0.1 talks to the dashboard as "its own" origin — Host and Origin both
// say evil.example. The dashboard must answer only to the names it is known
// by: the loopback names on its port, or DASHBOARD_ORIGIN's host. Real
// requests (node:http, which lets the test set Host) to real dashboard processes.
const ROWS = 30;
const PASSWORD = "hosts-test-password";
const PUBLISHED = "http://porter.example:8080";

interface Reply {
  status: number;
  body: string;
}

interface Send {
  method?: string;
  path: string;
  host: string;
  origin?: string;
  body?: string;
  password?: string;
}

/** One HTTP request to 127.0.0.1:port with exactly the Host (and Origin) given. */
function send(port: number, s: Send): Promise<Reply> {
  const headers: Record<string, string> = { host: s.host };
  if (s.origin !== undefined) headers.origin = s.origin;
  if (s.body !== undefined) headers["content-type"] = "application/x-www-form-urlencoded";
  if (s.password !== undefined) headers.authorization = `Basic ${Buffer.from(`admin:${s.password}`).toString("base64")}`;
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method: s.method ?? "GET", path: s.path, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(s.body);
  });
}

async function startDashboard(env: Record<string, string>): Promise<{ process: PorterProcess; port: number; hosts: string[] }> {
  const process = spawnPorter(["dashboard"], { ...env, PORT: "0", LOG_LEVEL: "info" });
  const line = await waitFor("the dashboard to listen", () =>
    process
      .stdout()
      .split("\n")
      .find((l) => l.includes('"dashboard listening"')),
  );
  const logged = JSON.parse(line) as { url: string; hosts?: string[] };
  return { process, port: Number(new URL(logged.url).port), hosts: logged.hosts ?? [] };
}

describe("the dashboard answers only to its own names", () => {
  let db: TestDatabase;
  let tq: TestQueue;
  let redis: Redis;
  let queue: ImportQueue;
  let env: Record<string, string>;
  let runId: string;
  let local: { process: PorterProcess; port: number; hosts: string[] };
  let published: { process: PorterProcess; port: number; hosts: string[] };

  /** What any change would show: the run's ledger by status and the run's own status. */
  const ledger = async () => {
    const { rows } = await db.pool.query<{ status: string; n: number }>(
      "SELECT status::text, count(*)::int AS n FROM service_imports WHERE run_id = $1 GROUP BY 1 ORDER BY 1",
      [runId],
    );
    const run = await db.pool.query<{ status: string }>("SELECT status::text FROM import_runs WHERE id = $1", [runId]);
    return { rows, run: run.rows[0]?.status };
  };

  /** The requeue form's token, fetched as the dashboard's own page would be. */
  const requeueToken = async (port: number, password?: string) => {
    const page = await send(port, { path: `/runs/${runId}`, host: `127.0.0.1:${port}`, password });
    expect(page.status).toBe(200);
    const match = new RegExp(`action="/runs/${runId}/requeue">\\s*<input type="hidden" name="csrf" value="([^"]+)"`).exec(page.body);
    expect(match, "the run page has a requeue form").not.toBeNull();
    return match?.[1] as string;
  };

  beforeAll(async () => {
    db = await createTestDatabase("porter_dashboard_hosts");
    tq = createTestQueue("porter_dashboard_hosts");
    redis = createRedis(REDIS_URL, { role: "producer" });
    queue = createImportQueue(redis, tq.prefix);
    // A finished run whose documents all failed: what a requeue would change.
    const run = await createRun(db.pool, {});
    runId = run.id;
    await recordListedPage(
      db.pool,
      runId,
      Array.from({ length: ROWS }, (_, i) => `doc-${i}`),
    );
    await db.pool.query(
      `UPDATE service_imports SET status = 'failed', attempts = 1, error_kind = 'not_found', error_stage = 'fetch',
              last_error = 'gone', finished_at = now() WHERE run_id = $1`,
      [runId],
    );
    await db.pool.query("UPDATE import_runs SET status = 'completed', listed = $2, finished_at = now() WHERE id = $1", [runId, ROWS]);
    env = { DATABASE_URL: db.url, REDIS_URL, QUEUE_PREFIX: tq.prefix };
    [local, published] = await Promise.all([
      startDashboard(env),
      startDashboard({ ...env, DASHBOARD_PASSWORD: PASSWORD, DASHBOARD_ORIGIN: PUBLISHED }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled([local?.process.stop(), published?.process.stop()]);
    await queue?.close();
    await redis?.quit();
    await tq?.drop();
    await db?.drop();
  });

  it("logs the hosts it accepts", () => {
    expect(local.hosts).toEqual([`127.0.0.1:${local.port}`, `localhost:${local.port}`, `[::1]:${local.port}`]);
    expect(published.hosts).toEqual([
      `127.0.0.1:${published.port}`,
      `localhost:${published.port}`,
      `[::1]:${published.port}`,
      "porter.example:8080",
    ]);
  });

  it("refuses a foreign Host on every route: pages, form tokens, its API, Bull Board and its assets", async () => {
    const port = local.port;
    const evil = `evil.example:${port}`;
    for (const path of ["/", `/runs/${runId}`, "/api/runs", "/queues", "/queues/api/queues", "/queues/static/favicon-32x32.png", "/healthz"]) {
      const reply = await send(port, { path, host: evil });
      expect(reply.status, `GET ${path}`).toBe(421);
      expect(reply.body, `GET ${path}`).toContain(`host "${evil}" is not a name of this dashboard`);
      expect(reply.body).not.toContain("csrf");
    }
  });

  it("refuses a POST whose Host and Origin are both the rebinding site's, even with a valid form token", async () => {
    const port = local.port;
    const before = await ledger();
    const csrf = await requeueToken(port);
    const reply = await send(port, {
      method: "POST",
      path: `/runs/${runId}/requeue`,
      host: `evil.example:${port}`,
      origin: `http://evil.example:${port}`,
      body: `csrf=${encodeURIComponent(csrf)}`,
    });
    expect(reply.status).toBe(421);
    expect(await ledger()).toEqual(before);
    expect(before.rows).toEqual([{ status: "failed", n: ROWS }]);
  });

  it("refuses Bull Board's PUTs from the rebinding site", async () => {
    const port = local.port;
    for (const path of ["/queues/api/queues/pause", "/queues/api/queues/imports/pause", "/queues/api/queues/imports/retry/failed"]) {
      const reply = await send(port, { method: "PUT", path, host: `evil.example:${port}`, origin: `http://evil.example:${port}` });
      expect(reply.status, `PUT ${path}`).toBe(421);
    }
    expect(await queue.isPaused()).toBe(false);
  });

  it("refuses a POST from another origin to one of its own names", async () => {
    const port = local.port;
    const before = await ledger();
    const csrf = await requeueToken(port);
    for (const origin of [`http://evil.example:${port}`, `https://127.0.0.1:${port}`, `http://127.0.0.1:${port + 1}`, "null"]) {
      const reply = await send(port, {
        method: "POST",
        path: `/runs/${runId}/requeue`,
        host: `127.0.0.1:${port}`,
        origin,
        body: `csrf=${encodeURIComponent(csrf)}`,
      });
      expect(reply.status, `Origin ${origin}`).toBe(403);
      expect(reply.body).toContain("cross-site request refused");
    }
    const put = await send(port, { method: "PUT", path: "/queues/api/queues/pause", host: `localhost:${port}`, origin: `http://evil.example:${port}` });
    expect(put.status).toBe(403);
    expect(await queue.isPaused()).toBe(false);
    expect(await ledger()).toEqual(before);
  });

  it("answers to the loopback names on its port, in any case, and to nothing else", async () => {
    const port = local.port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LocalHost:${port}`, `[::1]:${port}`]) {
      expect((await send(port, { path: "/", host })).status, host).toBe(200);
    }
    for (const host of ["localhost", "127.0.0.1", `localhost:${port + 1}`, `127.0.0.2:${port}`, `localhost.:${port}`, `localhost:${port}@evil.example`, `127.0.0.1:${port}.evil.example`]) {
      expect((await send(port, { path: "/", host })).status, JSON.stringify(host)).toBe(421);
    }
  });

  it("with DASHBOARD_ORIGIN it also answers to that host, and checks the Host before the password", async () => {
    const port = published.port;
    expect((await send(port, { path: "/", host: "porter.example:8080", password: PASSWORD })).status).toBe(200);
    expect((await send(port, { path: "/", host: "PORTER.example:8080", password: PASSWORD })).status).toBe(200);
    expect((await send(port, { path: "/", host: `localhost:${port}`, password: PASSWORD })).status).toBe(200);
    expect((await send(port, { path: "/", host: "porter.example:8080" })).status).toBe(401);
    for (const host of ["porter.example", "porter.example:80", `porter.example:${port}`, `evil.example:${port}`]) {
      expect((await send(port, { path: "/", host, password: PASSWORD })).status, host).toBe(421);
      expect((await send(port, { path: "/", host })).status, `${host} without a password`).toBe(421);
    }
    const before = await ledger();
    const csrf = await requeueToken(port, PASSWORD);
    const reply = await send(port, {
      method: "POST",
      path: `/runs/${runId}/requeue`,
      host: "porter.example:8080",
      origin: "http://evil.example:8080",
      body: `csrf=${encodeURIComponent(csrf)}`,
      password: PASSWORD,
    });
    expect(reply.status).toBe(403);
    expect(await ledger()).toEqual(before);
  });

  it("stops at start-up on a DASHBOARD_ORIGIN that is not an http(s) origin, naming it", async () => {
    for (const value of ["porter.example", "ftp://porter.example", "http://porter.example/dashboard", "http://admin:pw@porter.example"]) {
      // A dashboard that took the value would listen until stopped: wait for an exit, and stop it either way.
      const dashboard = spawnPorter(["dashboard"], { ...env, PORT: "0", DASHBOARD_ORIGIN: value });
      try {
        await waitFor(`porter dashboard to refuse DASHBOARD_ORIGIN=${value}`, () => dashboard.child.exitCode ?? undefined, { timeoutMs: 20_000 });
        expect(await dashboard.exited, value).toBe(2);
        expect(dashboard.stderr(), value).toContain("DASHBOARD_ORIGIN: expected an origin like https://porter.example.com");
      } finally {
        await dashboard.stop();
      }
    }
  });

  // Last, because it changes the ledger: the dashboard's own form, from its own page, still works.
  it("accepts its own form posted from a page it served", async () => {
    const port = local.port;
    const csrf = await requeueToken(port);
    const reply = await send(port, {
      method: "POST",
      path: `/runs/${runId}/requeue`,
      host: `localhost:${port}`,
      origin: `http://localhost:${port}`,
      body: `csrf=${encodeURIComponent(csrf)}`,
    });
    expect(reply.status).toBe(303);
    expect((await ledger()).rows).toEqual([{ status: "pending", n: ROWS }]);
  });
});
