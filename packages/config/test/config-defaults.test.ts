import { describe, expect, it } from "vitest";
import { loadConfig, type Config } from "../src/index.js";

const DEFAULTS: Config = {
  redisUrl: "redis://127.0.0.1:6379",
  databaseUrl: "postgres://postgres@127.0.0.1:5432/porter",
  legacyUrl: "http://127.0.0.1:4000",
  archive: true,
  archiveDatabaseUrl: undefined,
  legacyToken: undefined,
  workerConcurrency: 50,
  jobTimeoutMs: 30_000,
  fetchIdleTimeoutMs: 5_000,
  jobAttempts: 5,
  backoffBaseMs: 1_000,
  legacyMaxRps: undefined,
  queueHighWater: 20_000,
  jobDocuments: 25,
  queuePrefix: "porter",
  listPageSize: 500,
  listTimeoutMs: 30_000,
  listIdleTimeoutMs: 600_000,
  maxPageBytes: 32 * 1024 * 1024,
  maxInflightBytes: 96 * 1024 * 1024,
  stalledIntervalMs: 30_000,
  shutdownGraceMs: 30_000,
  reconcileIntervalMs: 30_000,
  reconcileGraceMs: 60_000,
  storeOutageMs: 120_000,
  logLevel: "info",
  dashboardUser: "admin",
  dashboardPassword: undefined,
  dashboardOrigin: undefined,
  port: 3_000,
  metricsPort: 9_464,
};

describe("loadConfig defaults", () => {
  it("gives every default for an empty environment", () => {
    expect(loadConfig({})).toStrictEqual(DEFAULTS);
  });

  it("counts empty and blank variables as unset", () => {
    const env: NodeJS.ProcessEnv = {};
    // Every variable set to "" or white space: still all the defaults, no error.
    const names = [
      "REDIS_URL",
      "DATABASE_URL",
      "LEGACY_URL",
      "LEGACY_TOKEN",
      "WORKER_CONCURRENCY",
      "JOB_TIMEOUT_MS",
      "FETCH_IDLE_TIMEOUT_MS",
      "JOB_ATTEMPTS",
      "BACKOFF_BASE_MS",
      "LEGACY_MAX_RPS",
      "QUEUE_HIGH_WATER",
      "JOB_DOCUMENTS",
      "QUEUE_PREFIX",
      "LIST_PAGE_SIZE",
      "LIST_TIMEOUT_MS",
      "LIST_IDLE_TIMEOUT_MS",
      "MAX_PAGE_BYTES",
      "MAX_INFLIGHT_BYTES",
      "STALLED_INTERVAL_MS",
      "SHUTDOWN_GRACE_MS",
      "RECONCILE_INTERVAL_MS",
      "RECONCILE_GRACE_MS",
      "STORE_OUTAGE_MS",
      "LOG_LEVEL",
      "DASHBOARD_USER",
      "DASHBOARD_PASSWORD",
      "DASHBOARD_ORIGIN",
      "PORT",
      "METRICS_PORT",
    ];
    names.forEach((name, i) => {
      env[name] = i % 2 === 0 ? "" : "  \t ";
    });
    expect(loadConfig(env)).toStrictEqual(DEFAULTS);
  });

  it("reads every variable when set, trimming white space", () => {
    const config = loadConfig({
      REDIS_URL: " rediss://cache:6380 ",
      DATABASE_URL: "postgresql://u:p@db:5433/x",
      LEGACY_URL: "https://legacy.example/api/",
      ARCHIVE: "off",
      ARCHIVE_DATABASE_URL: "postgres://db:5432/archive",
      LEGACY_TOKEN: "tok",
      WORKER_CONCURRENCY: "7",
      JOB_TIMEOUT_MS: "100",
      FETCH_IDLE_TIMEOUT_MS: "250",
      JOB_ATTEMPTS: "100",
      BACKOFF_BASE_MS: "0",
      LEGACY_MAX_RPS: "25",
      QUEUE_HIGH_WATER: "1",
      JOB_DOCUMENTS: "40",
      QUEUE_PREFIX: "{porter}",
      LIST_PAGE_SIZE: "1000",
      LIST_TIMEOUT_MS: "2500",
      LIST_IDLE_TIMEOUT_MS: "60000",
      MAX_PAGE_BYTES: "1024",
      MAX_INFLIGHT_BYTES: "2048",
      STALLED_INTERVAL_MS: "500",
      SHUTDOWN_GRACE_MS: "0",
      RECONCILE_INTERVAL_MS: "100",
      RECONCILE_GRACE_MS: "0",
      STORE_OUTAGE_MS: "1500",
      LOG_LEVEL: "silent",
      DASHBOARD_USER: "ops",
      DASHBOARD_PASSWORD: "pw",
      DASHBOARD_ORIGIN: "HTTPS://Porter.Example.com:443/",
      PORT: "0",
      METRICS_PORT: "65535",
    });
    expect(config).toStrictEqual({
      redisUrl: "rediss://cache:6380",
      databaseUrl: "postgresql://u:p@db:5433/x",
      legacyUrl: "https://legacy.example/api/",
      archive: false,
      archiveDatabaseUrl: "postgres://db:5432/archive",
      legacyToken: "tok",
      workerConcurrency: 7,
      jobTimeoutMs: 100,
      fetchIdleTimeoutMs: 250,
      jobAttempts: 100,
      backoffBaseMs: 0,
      legacyMaxRps: 25,
      queueHighWater: 1,
      // LEGACY_MAX_RPS is set: BullMQ's limiter counts jobs, so a job per document.
      jobDocuments: 1,
      queuePrefix: "{porter}",
      listPageSize: 1000,
      listTimeoutMs: 2_500,
      listIdleTimeoutMs: 60_000,
      maxPageBytes: 1024,
      maxInflightBytes: 2048,
      stalledIntervalMs: 500,
      shutdownGraceMs: 0,
      reconcileIntervalMs: 100,
      reconcileGraceMs: 0,
      storeOutageMs: 1_500,
      logLevel: "silent",
      dashboardUser: "ops",
      dashboardPassword: "pw",
      dashboardOrigin: "https://porter.example.com",
      port: 0,
      metricsPort: 65535,
    } satisfies Config);
  });

  it("takes JOB_DOCUMENTS as set when LEGACY_MAX_RPS is not", () => {
    expect(loadConfig({ JOB_DOCUMENTS: "40" }).jobDocuments).toBe(40);
    expect(loadConfig({ JOB_DOCUMENTS: "40", LEGACY_MAX_RPS: "5" }).jobDocuments).toBe(1);
  });

  it("ignores variables it does not know", () => {
    expect(loadConfig({ SOMETHING_ELSE: "x", PATH: "/bin" })).toStrictEqual(DEFAULTS);
  });
});
