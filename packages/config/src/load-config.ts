import { envSchema, type Env } from "./schema.js";

/** Bad configuration: start-up stops with this message (exit code 2). */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export interface Config {
  redisUrl: string;
  databaseUrl: string;
  legacyUrl: string;
  /** ARCHIVE=on: workers keep the pages they fetch. */
  archive: boolean;
  /** ARCHIVE_DATABASE_URL; undefined: the archive is in the target database. */
  archiveDatabaseUrl: string | undefined;
  legacyToken: string | undefined;
  workerConcurrency: number;
  jobTimeoutMs: number;
  fetchIdleTimeoutMs: number;
  jobAttempts: number;
  backoffBaseMs: number;
  legacyMaxRps: number | undefined;
  queueHighWater: number;
  /**
   * Documents per job for a first attempt (JOB_DOCUMENTS); 1 when LEGACY_MAX_RPS
   * is set, since BullMQ's limiter counts jobs.
   */
  jobDocuments: number;
  queuePrefix: string;
  listPageSize: number;
  listTimeoutMs: number;
  listIdleTimeoutMs: number;
  maxPageBytes: number;
  maxInflightBytes: number;
  stalledIntervalMs: number;
  shutdownGraceMs: number;
  reconcileIntervalMs: number;
  reconcileGraceMs: number;
  storeOutageMs: number;
  logLevel: Env["LOG_LEVEL"];
  dashboardUser: string;
  dashboardPassword: string | undefined;
  /** DASHBOARD_ORIGIN as `URL.origin` (e.g. "https://porter.example.com"); undefined: the loopback names only. */
  dashboardOrigin: string | undefined;
  port: number;
  metricsPort: number;
}

const SECRET = /(TOKEN|PASSWORD)$/;

function shown(name: string, value: string | undefined): string {
  if (value === undefined) return "nothing";
  if (SECRET.test(name)) return "a value (hidden)";
  // A URL may carry a password: show it without, even when it does not parse
  // (a bad port, say), which is when this message is most likely to be shown.
  if (name.endsWith("_URL") || name.endsWith("_ORIGIN")) return JSON.stringify(hidePassword(value));
  return JSON.stringify(value);
}

/** Hides what follows the user name up to the last "@", so nothing of a password shows, whatever characters it holds. */
function hidePassword(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^:@/]*):.*@/is, "$1$2:***@");
}

/**
 * Parses the environment once, at start-up. Empty variables count as unset.
 * Throws ConfigError naming every bad variable, what it expects and what came.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const input: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== "") input[key] = value.trim();
  }
  const parsed = envSchema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      return `  ${name}: ${issue.message}, got ${shown(name, input[name])}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  // A page must fit in the budget on its own, or it could never be read.
  if (e.MAX_INFLIGHT_BYTES < e.MAX_PAGE_BYTES) {
    throw new ConfigError(
      `Invalid configuration:\n  MAX_INFLIGHT_BYTES: expected at least MAX_PAGE_BYTES (${e.MAX_PAGE_BYTES}), got ${input.MAX_INFLIGHT_BYTES === undefined ? `the default ${e.MAX_INFLIGHT_BYTES}` : shown("MAX_INFLIGHT_BYTES", input.MAX_INFLIGHT_BYTES)}`,
    );
  }
  return {
    redisUrl: e.REDIS_URL,
    databaseUrl: e.DATABASE_URL,
    legacyUrl: e.LEGACY_URL,
    archive: e.ARCHIVE === "on",
    archiveDatabaseUrl: e.ARCHIVE_DATABASE_URL,
    legacyToken: e.LEGACY_TOKEN,
    workerConcurrency: e.WORKER_CONCURRENCY,
    jobTimeoutMs: e.JOB_TIMEOUT_MS,
    fetchIdleTimeoutMs: e.FETCH_IDLE_TIMEOUT_MS,
    jobAttempts: e.JOB_ATTEMPTS,
    backoffBaseMs: e.BACKOFF_BASE_MS,
    legacyMaxRps: e.LEGACY_MAX_RPS,
    queueHighWater: e.QUEUE_HIGH_WATER,
    jobDocuments: e.LEGACY_MAX_RPS === undefined ? e.JOB_DOCUMENTS : 1,
    queuePrefix: e.QUEUE_PREFIX,
    listPageSize: e.LIST_PAGE_SIZE,
    listTimeoutMs: e.LIST_TIMEOUT_MS,
    listIdleTimeoutMs: e.LIST_IDLE_TIMEOUT_MS,
    maxPageBytes: e.MAX_PAGE_BYTES,
    maxInflightBytes: e.MAX_INFLIGHT_BYTES,
    stalledIntervalMs: e.STALLED_INTERVAL_MS,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    reconcileIntervalMs: e.RECONCILE_INTERVAL_MS,
    reconcileGraceMs: e.RECONCILE_GRACE_MS,
    storeOutageMs: e.STORE_OUTAGE_MS,
    logLevel: e.LOG_LEVEL,
    dashboardUser: e.DASHBOARD_USER,
    dashboardPassword: e.DASHBOARD_PASSWORD,
    dashboardOrigin: e.DASHBOARD_ORIGIN,
    port: e.PORT,
    metricsPort: e.METRICS_PORT,
  };
}

/** A URL with its password replaced, for log lines and messages. */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return "<unparseable url>";
  }
}
