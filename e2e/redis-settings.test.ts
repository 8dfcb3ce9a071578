import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import {
  createTestDatabase,
  runPorter,
  spawnPorter,
  startLegacySimProcess,
  startPrivateRedis,
  type PorterProcess,
  type PrivateRedis,
  type TestDatabase,
} from "@porter/testing";
import { logLines, waitForLog } from "./worker-http.js";

// The Redis settings Porter depends on, with real processes against a
// redis-server of this test's own (the shared one must stay noeviction):
// every process that talks to Redis warns loudly at start-up when
// maxmemory-policy is not noeviction, and a hash-tagged QUEUE_PREFIX (for
// Redis Cluster) keeps every key of the queue under the tag.

/** The part of a key Redis Cluster hashes to pick its slot: the hash tag if there is one, else the whole key. */
function hashTag(key: string): string {
  const open = key.indexOf("{");
  const close = open === -1 ? -1 : key.indexOf("}", open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

describe("Redis settings", () => {
  let redis: PrivateRedis;
  let db: TestDatabase;
  let legacyUrl: string;
  let env: Record<string, string>;
  const processes: PorterProcess[] = [];

  beforeAll(async () => {
    redis = await startPrivateRedis(["--maxmemory-policy", "allkeys-lru"]);
    db = await createTestDatabase("porter_redis");
    const sim = await startLegacySimProcess(["--docs", "30"]);
    processes.push(sim.process);
    legacyUrl = sim.url;
    env = { REDIS_URL: redis.url, DATABASE_URL: db.url, LEGACY_URL: legacyUrl, METRICS_PORT: "0", LOG_LEVEL: "info" };
  });

  afterAll(async () => {
    await Promise.allSettled(processes.map((p) => p.stop("SIGTERM", 10_000)));
    await redis?.stop();
    await db?.drop();
  });

  it("the worker and `porter run` warn loudly when Redis may evict keys", async () => {
    const worker = spawnPorter(["worker"], { ...env, QUEUE_PREFIX: "evict" });
    processes.push(worker);
    const warning = await waitForLog(worker, "REDIS MAY LOSE JOBS");
    expect(warning).toMatchObject({ level: 40, name: "worker", maxmemoryPolicy: "allkeys-lru" });
    expect(warning.msg).toContain('maxmemory-policy is "allkeys-lru", not "noeviction"');

    const run = await runPorter(["run", "--limit", "5"], { ...env, QUEUE_PREFIX: "evict" });
    expect(run.code, run.stderr).toBe(0);
    const lines = logLines(run.stderr).filter((l) => typeof l.msg === "string" && l.msg.startsWith("REDIS MAY LOSE JOBS"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, name: "enqueuer", maxmemoryPolicy: "allkeys-lru" });
    expect(await worker.stop("SIGTERM")).toBe(0);
  }, 120_000);

  it("a hash-tagged QUEUE_PREFIX keeps every queue key under the tag, and a run completes", async () => {
    const prefix = "{porter}";
    const worker = spawnPorter(["worker"], { ...env, QUEUE_PREFIX: prefix });
    processes.push(worker);
    await waitForLog(worker, "worker started");
    const run = await runPorter(["run", "--follow", "--json"], { ...env, QUEUE_PREFIX: prefix });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout.trim())).toMatchObject({ status: "completed", listed: 30, succeeded: 30, failed: 0 });

    const client = new Redis(redis.url);
    try {
      const keys = await client.keys("*");
      const queueKeys = keys.filter((k) => !k.startsWith("evict:"));
      expect(queueKeys.length).toBeGreaterThan(0);
      // the queue's keys, and the reconciler's lease while a worker holds it
      expect(queueKeys.filter((k) => !k.startsWith(`${prefix}:imports:`) && k !== `${prefix}:reconciler:lease`)).toEqual([]);
      // Redis Cluster hashes only the tag (between the first "{" and the next "}"),
      // so every key is in one slot: what BullMQ's multi-key Lua scripts need.
      expect(new Set(queueKeys.map(hashTag))).toEqual(new Set(["porter"]));
    } finally {
      client.disconnect();
    }
    expect(await worker.stop("SIGTERM")).toBe(0);
  }, 120_000);
});
