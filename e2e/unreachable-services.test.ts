import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, runPorter, startPrivateRedis, type PrivateRedis } from "@porter/testing";
import { e2eEnv } from "./run-check.js";
import { openScenario, type Scenario } from "./scenario.js";

// A command that needs a service it cannot reach says so at once, in one line
// naming the service and its variable, exits 4, and starts nothing. Unreachable
// services are closed ports, a Redis this test started and stopped, and a
// legacy service that refuses the token.
const TOKEN = "the-right-token";

describe("a command whose services are not there", () => {
  let scenario: Scenario | undefined;
  let closed: number;

  beforeAll(async () => {
    scenario = await openScenario({
      name: "porter_e2e_unreachable",
      docs: 20,
      seed: 3,
      simArgs: ["--token", TOKEN],
      env: (db, queue, url) => e2eEnv(db, queue, url, { LEGACY_TOKEN: TOKEN }),
    });
    closed = await freePort();
  });

  afterAll(() => scenario?.close());

  const runs = async () => Number((await (scenario as Scenario).db.pool.query<{ n: string }>("SELECT count(*) AS n FROM import_runs")).rows[0]?.n);

  it("porter run with Redis on a closed port: one line naming REDIS_URL, exit 4, no run left behind", async () => {
    const s = scenario as Scenario;
    const out = await runPorter(["run", "--follow"], { ...s.env, REDIS_URL: `redis://127.0.0.1:${closed}` });
    expect(out.code).toBe(4);
    expect(out.stderr).toBe(`porter: cannot reach Redis at REDIS_URL=redis://127.0.0.1:${closed}: connection refused\n`);
    expect(await runs()).toBe(0);
  });

  it("a Redis that was there and is stopped is the same", async () => {
    const s = scenario as Scenario;
    let redis: PrivateRedis | undefined = await startPrivateRedis();
    const url = redis.url;
    await redis.stop();
    redis = undefined;
    const out = await runPorter(["requeue", "latest"], { ...s.env, REDIS_URL: url });
    expect(out.code).toBe(4);
    expect(out.stderr).toMatch(/^porter: cannot reach Redis at REDIS_URL=redis:\/\/127\.0\.0\.1:\d+\/?: connection refused\n$/);
  });

  it("Postgres: a closed port, and a database that does not exist, each named with DATABASE_URL and the password hidden", async () => {
    const s = scenario as Scenario;
    const down = await runPorter(["status", "latest"], { ...s.env, DATABASE_URL: `postgres://porter:s3cret@127.0.0.1:${closed}/porter` });
    expect(down.code).toBe(4);
    expect(down.stderr).toBe(`porter: cannot reach Postgres at DATABASE_URL=postgres://porter:***@127.0.0.1:${closed}/porter: connection refused\n`);
    // The commands that create the database say the same of its server.
    for (const args of [["db", "migrate"], ["demo", "--docs", "10"]]) {
      const out = await runPorter(args, { ...s.env, DATABASE_URL: `postgres://porter:s3cret@127.0.0.1:${closed}/porter` });
      expect(out.code, args.join(" ")).toBe(4);
      expect(out.stderr).toBe(`porter: cannot reach Postgres at DATABASE_URL=postgres://porter:***@127.0.0.1:${closed}/porter: connection refused\n`);
    }
    const url = new URL(s.env.DATABASE_URL as string);
    url.pathname = "/porter_no_such_database";
    url.password = "s3cret";
    const missing = await runPorter(["run"], { ...s.env, DATABASE_URL: url.toString() });
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain(`porter: database "porter_no_such_database" does not exist (DATABASE_URL=${url.toString().replace("s3cret", "***")}): run porter db migrate\n`);
    expect(missing.stderr).not.toContain("s3cret");
  });

  it("the legacy service: a wrong LEGACY_TOKEN, and a closed port", async () => {
    const s = scenario as Scenario;
    const refused = await runPorter(["run"], { ...s.env, LEGACY_TOKEN: "a-wrong-token" });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/^porter: the legacy service at LEGACY_URL=\S+ refused the listing \(401\): check LEGACY_TOKEN\n$/);
    expect(refused.stderr).not.toContain("a-wrong-token");
    const gone = await runPorter(["run"], { ...s.env, LEGACY_URL: `http://127.0.0.1:${closed}` });
    expect(gone.code).toBe(4);
    expect(gone.stderr).toBe(`porter: cannot reach the legacy service at LEGACY_URL=http://127.0.0.1:${closed}/: connection refused\n`);
    expect(await runs()).toBe(0);
  });

  it("everything down at once: a line each; a command that needs only Postgres does not ask for the rest", async () => {
    const s = scenario as Scenario;
    const env = { ...s.env, REDIS_URL: `redis://127.0.0.1:${closed}`, LEGACY_URL: `http://127.0.0.1:${closed}` };
    const all = await runPorter(["run"], { ...env, DATABASE_URL: `postgres://postgres@127.0.0.1:${closed}/porter` });
    expect(all.code).toBe(4);
    expect(all.stderr.trim().split("\n").map((l) => l.replace(/ at .*/, ""))).toEqual([
      "porter: cannot reach Postgres",
      "porter: cannot reach Redis",
      "porter: cannot reach the legacy service",
    ]);
    // `porter runs` needs Postgres alone.
    const ok = await runPorter(["runs"], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^no run yet in /);
  });
});
