import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Redis } from "ioredis";
import { REDIS_URL, startPrivateRedis, type PrivateRedis } from "@porter/testing";
import { checkEvictionPolicy, createRedis, type CheckLogger } from "../src/index.js";

// Real Redis servers: the machine's (noeviction), and private ones started
// with the settings the shared server must never be given.

interface Line {
  level: "warn" | "debug";
  obj: object;
  msg: string;
}

function recorder(): CheckLogger & { lines: Line[] } {
  const lines: Line[] = [];
  return {
    lines,
    warn: (obj, msg) => lines.push({ level: "warn", obj, msg }),
    debug: (obj, msg) => lines.push({ level: "debug", obj, msg }),
  };
}

const servers: PrivateRedis[] = [];
const connections: Redis[] = [];
const connect = (url: string, role: "worker" | "producer" = "producer") => {
  const redis = createRedis(url, { role });
  redis.on("error", () => {});
  connections.push(redis);
  return redis;
};

let lru: PrivateRedis;
let noConfig: PrivateRedis;
let locked: PrivateRedis;

beforeAll(async () => {
  const started = await Promise.allSettled([
    startPrivateRedis(["--maxmemory-policy", "allkeys-lru"]),
    // What managed Redis services do: CONFIG is not there.
    startPrivateRedis(["--rename-command", "CONFIG", ""]),
    // Neither CONFIG nor INFO allowed.
    startPrivateRedis(["--user", "default", "on", "nopass", "~*", "&*", "+@all", "-config", "-info"]),
  ]);
  // Kept for afterAll even if one failed to start, so none is left running.
  for (const s of started) if (s.status === "fulfilled") servers.push(s.value);
  [lru, noConfig, locked] = started.map((s) => {
    if (s.status === "rejected") throw s.reason;
    return s.value;
  }) as [PrivateRedis, PrivateRedis, PrivateRedis];
});

afterAll(async () => {
  await Promise.allSettled(connections.map((c) => c.quit()));
  await Promise.allSettled(servers.map((s) => s.stop()));
});

describe("checkEvictionPolicy", () => {
  it("is quiet about the machine's Redis, which is noeviction", async () => {
    const log = recorder();
    expect(await checkEvictionPolicy(connect(REDIS_URL), log, { readyTimeoutMs: 5_000 })).toEqual({ state: "noeviction", source: "config" });
    expect(log.lines.filter((l) => l.level === "warn")).toEqual([]);
  });

  it("warns loudly, naming the policy, when Redis may evict keys", async () => {
    const log = recorder();
    // A worker connection, as `porter worker` uses: the check waits for it to be ready.
    const result = await checkEvictionPolicy(connect(lru.url, "worker"), log);
    expect(result).toEqual({ state: "evicting", policy: "allkeys-lru", source: "config" });
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatchObject({ level: "warn", obj: { maxmemoryPolicy: "allkeys-lru" } });
    expect(log.lines[0]?.msg).toMatch(/^REDIS MAY LOSE JOBS: maxmemory-policy is "allkeys-lru", not "noeviction"/);
  });

  it("reads the policy from INFO when CONFIG is refused, and says so at debug level", async () => {
    const log = recorder();
    expect(await checkEvictionPolicy(connect(noConfig.url), log, { readyTimeoutMs: 5_000 })).toEqual({ state: "noeviction", source: "info" });
    expect(log.lines.map((l) => l.level)).toEqual(["debug", "debug"]);
    expect(log.lines[0]?.msg).toContain("refused CONFIG GET");
    expect(JSON.stringify(log.lines[0]?.obj)).toMatch(/unknown command|CONFIG/i);
  });

  it("warns that it could not tell when both CONFIG and INFO are refused", async () => {
    const log = recorder();
    const result = await checkEvictionPolicy(connect(locked.url), log, { readyTimeoutMs: 5_000 });
    expect(result.state).toBe("unknown");
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]?.level).toBe("warn");
    expect(log.lines[0]?.msg).toContain("could not read Redis's maxmemory-policy");
    expect(JSON.stringify(log.lines[0]?.obj)).toMatch(/NOPERM/);
  });

  it("gives up quietly when Redis does not come up within the timeout (the commands that follow report it)", async () => {
    const log = recorder();
    const dead = connect("redis://127.0.0.1:1");
    const result = await checkEvictionPolicy(dead, log, { readyTimeoutMs: 300 });
    expect(result).toEqual({ state: "unknown", reason: "Redis did not become ready" });
    expect(log.lines.map((l) => l.level)).toEqual(["debug"]);
  });
});
