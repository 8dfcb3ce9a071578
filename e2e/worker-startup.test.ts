import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateDatabase } from "@porter/db";
import {
  freePort,
  REDIS_URL,
  spawnPorter,
  startPrivatePostgres,
  uniqueName,
  waitFor,
  type PorterProcess,
  type PrivatePostgres,
} from "@porter/testing";

// A worker that cannot work must say so at start-up, not "worker started".
// The cluster is the test's own, with password authentication.
const PASSWORD = "right-Pa55word-4417";
const WRONG = "wrong-Pa55word-9921";

describe("worker start-up", () => {
  let pgServer: PrivatePostgres;
  const started: PorterProcess[] = [];

  beforeAll(async () => {
    pgServer = await startPrivatePostgres({ password: PASSWORD });
    await migrateDatabase(pgServer.url("porter"));
  });

  afterAll(async () => {
    await Promise.all(started.map((p) => p.stop("SIGKILL")));
    await pgServer?.destroy();
  });

  function worker(env: Record<string, string>): PorterProcess {
    const p = spawnPorter(["worker"], {
      REDIS_URL,
      DATABASE_URL: pgServer.url("porter"),
      QUEUE_PREFIX: uniqueName("porter_startup"),
      METRICS_PORT: "0",
      LOG_LEVEL: "info",
      ...env,
    });
    started.push(p);
    return p;
  }

  async function exitOf(p: PorterProcess): Promise<number | string> {
    await waitFor("the worker to exit", () => p.child.exitCode !== null || p.child.signalCode !== null, { timeoutMs: 30_000 });
    return p.exited;
  }

  it("exits 2 naming DATABASE_URL when Postgres refuses the password, and never prints it", async () => {
    const p = worker({ DATABASE_URL: pgServer.url("porter", "postgres", WRONG) });
    const code = await exitOf(p);
    const output = p.stdout() + p.stderr();
    expect(code, output).toBe(2);
    expect(p.stderr()).toMatch(/DATABASE_URL: Postgres refused .*password authentication failed for user "postgres"/);
    expect(p.stderr()).toContain(`postgres://postgres:***@127.0.0.1:${pgServer.port}/porter`);
    expect(output).not.toContain(WRONG);
    expect(output).not.toContain("worker started");
  });

  it("exits 2 naming DATABASE_URL when its database does not exist", async () => {
    const p = worker({ DATABASE_URL: pgServer.url("no_such_db") });
    const code = await exitOf(p);
    const output = p.stdout() + p.stderr();
    expect(code, output).toBe(2);
    expect(p.stderr()).toMatch(/DATABASE_URL: .*database "no_such_db" does not exist/);
    expect(output).not.toContain(PASSWORD);
    expect(output).not.toContain("worker started");
  });

  it("waits for a Redis that is not there yet with one clear line, and stops on SIGTERM", async () => {
    const port = await freePort();
    const p = worker({ REDIS_URL: `redis://127.0.0.1:${port}` });
    await waitFor(
      "the worker to say it waits for Redis",
      () => {
        if (p.child.exitCode !== null) throw new Error(`worker exited: ${p.stderr()}`);
        return p.stdout().includes(`redis unreachable at redis://127.0.0.1:${port}, waiting for it`);
      },
      { timeoutMs: 20_000 },
    );
    expect(await p.stop("SIGTERM")).toBe(0);
    const lines = p.stdout().split("\n").filter((l) => l.includes("redis unreachable"));
    expect(lines, p.stdout()).toHaveLength(1);
    expect(p.stdout() + p.stderr()).not.toContain("worker started");
    expect(p.stderr()).not.toContain("Unhandled error event");
  });
});
