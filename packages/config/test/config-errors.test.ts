import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/index.js";

function errorOf(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

/** The message's lines that name a variable, as `NAME: text`. */
function problemLines(err: ConfigError): string[] {
  const [head, ...rest] = err.message.split("\n");
  expect(head).toBe("Invalid configuration:");
  return rest.map((line) => line.trim());
}

describe("ConfigError names the bad variable, what it expects and what came", () => {
  it("refuses a MAX_PAGE_BYTES above the default MAX_INFLIGHT_BYTES, and takes them equal", () => {
    expect(problemLines(errorOf({ MAX_PAGE_BYTES: String(512 * 1024 * 1024) }))).toEqual([
      "MAX_INFLIGHT_BYTES: expected at least MAX_PAGE_BYTES (536870912), got the default 100663296",
    ]);
    expect(loadConfig({ MAX_PAGE_BYTES: "4096", MAX_INFLIGHT_BYTES: "4096" })).toMatchObject({ maxPageBytes: 4096, maxInflightBytes: 4096 });
  });

  it.each([
    ["WORKER_CONCURRENCY", "abc", 'WORKER_CONCURRENCY: expected an integer from 1 to 10000, got "abc"'],
    ["WORKER_CONCURRENCY", "1.5", 'WORKER_CONCURRENCY: expected an integer from 1 to 10000, got "1.5"'],
    ["WORKER_CONCURRENCY", "0", 'WORKER_CONCURRENCY: expected an integer from 1 to 10000, got "0"'],
    ["WORKER_CONCURRENCY", "10001", 'WORKER_CONCURRENCY: expected an integer from 1 to 10000, got "10001"'],
    ["JOB_TIMEOUT_MS", "99", 'JOB_TIMEOUT_MS: expected an integer from 100 to 2147483647, got "99"'],
    ["JOB_TIMEOUT_MS", "30s", 'JOB_TIMEOUT_MS: expected an integer from 100 to 2147483647, got "30s"'],
    ["JOB_ATTEMPTS", "-1", 'JOB_ATTEMPTS: expected an integer from 1 to 100, got "-1"'],
    ["JOB_ATTEMPTS", "101", 'JOB_ATTEMPTS: expected an integer from 1 to 100, got "101"'],
    ["BACKOFF_BASE_MS", "-5", 'BACKOFF_BASE_MS: expected an integer from 0 to 2147483647, got "-5"'],
    ["LEGACY_MAX_RPS", "0", 'LEGACY_MAX_RPS: expected an integer >= 1, got "0"'],
    ["QUEUE_HIGH_WATER", "1e3", 'QUEUE_HIGH_WATER: expected an integer >= 1, got "1e3"'],
    ["JOB_DOCUMENTS", "0", 'JOB_DOCUMENTS: expected an integer from 1 to 1000, got "0"'],
    ["LIST_PAGE_SIZE", "1001", 'LIST_PAGE_SIZE: expected an integer from 1 to 1000, got "1001"'],
    ["LIST_TIMEOUT_MS", "99", 'LIST_TIMEOUT_MS: expected an integer from 100 to 2147483647, got "99"'],
    ["MAX_PAGE_BYTES", "1023", 'MAX_PAGE_BYTES: expected an integer >= 1024, got "1023"'],
    ["MAX_INFLIGHT_BYTES", "256MiB", 'MAX_INFLIGHT_BYTES: expected an integer >= 1024, got "256MiB"'],
    ["MAX_INFLIGHT_BYTES", "1048576", 'MAX_INFLIGHT_BYTES: expected at least MAX_PAGE_BYTES (33554432), got "1048576"'],
    ["STALLED_INTERVAL_MS", "499", 'STALLED_INTERVAL_MS: expected an integer from 500 to 2147483647, got "499"'],
    ["SHUTDOWN_GRACE_MS", "0x10", 'SHUTDOWN_GRACE_MS: expected an integer from 0 to 2147483647, got "0x10"'],
    ["RECONCILE_INTERVAL_MS", "99", 'RECONCILE_INTERVAL_MS: expected an integer from 100 to 2147483647, got "99"'],
    ["RECONCILE_GRACE_MS", "1m", 'RECONCILE_GRACE_MS: expected an integer from 0 to 2147483647, got "1m"'],
    ["STORE_OUTAGE_MS", "2min", 'STORE_OUTAGE_MS: expected an integer from 0 to 2147483647, got "2min"'],
    ["PORT", "65536", 'PORT: expected an integer from 0 to 65535, got "65536"'],
    ["METRICS_PORT", "-1", 'METRICS_PORT: expected an integer from 0 to 65535, got "-1"'],
  ])("%s=%s", (name, value, line) => {
    expect(problemLines(errorOf({ [name]: value }))).toEqual([line]);
  });

  it.each([
    ["REDIS_URL", "http://127.0.0.1:6379", "expected a URL starting with redis:// or rediss://"],
    ["REDIS_URL", "127.0.0.1:6379", "expected a URL starting with redis:// or rediss://"],
    ["DATABASE_URL", "mysql://db/porter", "expected a URL starting with postgres:// or postgresql://"],
    ["DATABASE_URL", "not a url", "expected a URL starting with postgres:// or postgresql://"],
    ["LEGACY_URL", "ftp://legacy", "expected a URL starting with http:// or https://"],
    ["LEGACY_URL", "legacy:4000", "expected a URL starting with http:// or https://"],
  ])("%s=%s (wrong protocol or not a URL)", (name, value, expected) => {
    expect(problemLines(errorOf({ [name]: value }))).toEqual([`${name}: ${expected}, got ${JSON.stringify(value)}`]);
  });

  it.each([
    "porter.example.com",
    "ftp://porter.example.com",
    "https://porter.example.com/dashboard",
    "https://porter.example.com/?x=1",
    "https://porter.example.com/#top",
    "http://",
  ])("DASHBOARD_ORIGIN=%s (not an http(s) origin)", (value) => {
    expect(problemLines(errorOf({ DASHBOARD_ORIGIN: value }))).toEqual([
      `DASHBOARD_ORIGIN: expected an origin like https://porter.example.com or http://localhost:8080 (no path, query or user), got ${JSON.stringify(value)}`,
    ]);
  });

  it("DASHBOARD_ORIGIN with a user and password: refused, the password not shown", () => {
    const [line] = problemLines(errorOf({ DASHBOARD_ORIGIN: "https://ops:s3cret-pw@porter.example.com" }));
    expect(line).toBe(
      'DASHBOARD_ORIGIN: expected an origin like https://porter.example.com or http://localhost:8080 (no path, query or user), got "https://ops:***@porter.example.com"',
    );
  });

  it("DASHBOARD_ORIGIN is kept as the origin a browser sends: lower case, no default port, no slash", () => {
    expect(loadConfig({ DASHBOARD_ORIGIN: "http://Porter.example:80/" }).dashboardOrigin).toBe("http://porter.example");
    expect(loadConfig({ DASHBOARD_ORIGIN: "https://[::1]:8443" }).dashboardOrigin).toBe("https://[::1]:8443");
  });

  it("LOG_LEVEL outside the levels lists them", () => {
    const [line] = problemLines(errorOf({ LOG_LEVEL: "verbose" }));
    expect(line).toMatch(/^LOG_LEVEL: /);
    for (const level of ["fatal", "error", "warn", "info", "debug", "trace", "silent"]) expect(line).toContain(`"${level}"`);
    expect(line).toMatch(/, got "verbose"$/);
  });

  it.each(["porter:test", "a b", "x:"])("QUEUE_PREFIX=%j holding ':' or a space", (value) => {
    expect(problemLines(errorOf({ QUEUE_PREFIX: value }))).toEqual([
      `QUEUE_PREFIX: expected a prefix without ':' or spaces, e.g. porter or {porter}, got ${JSON.stringify(value)}`,
    ]);
  });

  it("lists every bad variable at once, one line each", () => {
    const err = errorOf({
      REDIS_URL: "http://x",
      WORKER_CONCURRENCY: "many",
      JOB_TIMEOUT_MS: "5",
      LOG_LEVEL: "loud",
      QUEUE_PREFIX: "a:b",
      PORT: "99999",
      // good ones do not appear
      JOB_ATTEMPTS: "3",
      LEGACY_URL: "http://legacy",
    });
    const lines = problemLines(err);
    expect(lines).toHaveLength(6);
    expect(lines.map((l) => l.split(":")[0]).sort()).toEqual(
      ["JOB_TIMEOUT_MS", "LOG_LEVEL", "PORT", "QUEUE_PREFIX", "REDIS_URL", "WORKER_CONCURRENCY"].sort(),
    );
    expect(err.message).not.toContain("JOB_ATTEMPTS");
    expect(err.message).not.toContain("LEGACY_URL");
  });

  it("is a ConfigError with that name", () => {
    const err = errorOf({ PORT: "x" });
    expect(err.name).toBe("ConfigError");
    expect(err).toBeInstanceOf(Error);
  });
});

describe("secrets never appear in a ConfigError", () => {
  const TOKEN = "tok-3f9a1c77e2b5";
  const PASSWORD = "pw-0d41b6c2aa98";

  it("keeps LEGACY_TOKEN and DASHBOARD_PASSWORD out while other variables are bad", () => {
    const err = errorOf({
      LEGACY_TOKEN: TOKEN,
      DASHBOARD_PASSWORD: PASSWORD,
      WORKER_CONCURRENCY: "x",
      LOG_LEVEL: "nope",
    });
    expect(problemLines(err)).toHaveLength(2);
    expect(err.message).not.toContain(TOKEN);
    expect(err.message).not.toContain(PASSWORD);
    expect(err.stack ?? "").not.toContain(TOKEN);
    expect(err.stack ?? "").not.toContain(PASSWORD);
  });

  it("accepts the secrets themselves and keeps them as given", () => {
    const config = loadConfig({ LEGACY_TOKEN: ` ${TOKEN} `, DASHBOARD_PASSWORD: PASSWORD });
    expect(config.legacyToken).toBe(TOKEN);
    expect(config.dashboardPassword).toBe(PASSWORD);
  });
});
