import { redactUrl, type Config } from "@porter/config";
import { ImportFailure } from "@porter/failures";
import { pingRedis } from "@porter/queue";
import type pg from "pg";
import type { Connections } from "./connections.js";

/** What a command may need before it starts: the target's Postgres, the archive's, Redis, the legacy service. */
export type Service = "postgres" | "archive" | "redis" | "legacy";

/**
 * What a command needs cannot be reached, or refuses it: one line per
 * service, naming it and the variable that points at it (passwords hidden),
 * and what to do when that is clear. The CLI exits 4 on it.
 */
export class ServiceUnavailable extends Error {
  override readonly name = "ServiceUnavailable";
  constructor(
    readonly services: readonly Service[],
    message: string,
  ) {
    super(message);
  }
}

/** How long each check waits for an answer. */
export const PREFLIGHT_TIMEOUT_MS = 5_000;

const CONNECTION_WORDS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ECONNRESET: "connection reset",
  ETIMEDOUT: `no answer within ${PREFLIGHT_TIMEOUT_MS / 1000} s`,
};

function codeOf(err: unknown): string | undefined {
  const code = typeof err === "object" && err !== null && "code" in err ? err.code : undefined;
  if (typeof code === "string") return code;
  // pg and ioredis wrap a refused connection to localhost's two addresses in an AggregateError.
  if (err instanceof AggregateError) return codeOf(err.errors[0]);
  return undefined;
}

function messageOf(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return messageOf(err.errors[0]);
  return err instanceof Error ? err.message : String(err);
}

function withDeadline<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`${what}: no answer`), { code: "ETIMEDOUT" })), PREFLIGHT_TIMEOUT_MS);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/**
 * What an error of Postgres at `variable` means for a person: one line naming
 * the variable (password hidden) and what to do. Undefined for an error that
 * is not about reaching the database (a failed statement is its own story).
 */
export function postgresProblemOf(err: unknown, variable: string, url: string): string | undefined {
  const at = `${variable}=${redactUrl(url)}`;
  const code = codeOf(err);
  const database = decodeURIComponent(new URL(url).pathname.slice(1)) || "postgres";
  if (code === "3D000") return `database "${database}" does not exist (${at}): run porter db migrate`;
  if (code === "42P01" || code === "3F000") return `database "${database}" has no Porter tables (${at}): run porter db migrate`;
  if (code === "53300") return `Postgres at ${at} has no connection left (too many clients): raise max_connections, or run fewer processes`;
  if (code === "28P01" || code === "28000") return `Postgres at ${at} refused the login: ${messageOf(err)}`;
  const words = code === undefined ? undefined : CONNECTION_WORDS[code];
  if (words !== undefined) return `cannot reach Postgres at ${at}: ${words}`;
  return undefined;
}

/** Why Postgres at `variable` cannot serve a command, or undefined when it can (the ledger is there). */
async function postgresProblem(pool: pg.Pool, variable: string, url: string, table: string): Promise<string | undefined> {
  try {
    await withDeadline(pool.query(`SELECT 1 FROM ${table} LIMIT 0`), "Postgres");
    return undefined;
  } catch (err) {
    return postgresProblemOf(err, variable, url) ?? `cannot reach Postgres at ${variable}=${redactUrl(url)}: ${messageOf(err)}`;
  }
}

async function redisProblem(url: string): Promise<string | undefined> {
  const at = `REDIS_URL=${redactUrl(url)}`;
  try {
    await pingRedis(url, PREFLIGHT_TIMEOUT_MS);
    return undefined;
  } catch (err) {
    const message = messageOf(err);
    if (/NOAUTH|WRONGPASS|invalid password|invalid username/i.test(message)) return `Redis at ${at} refused the login: ${message}`;
    const code = codeOf(err);
    const words = code === undefined ? undefined : CONNECTION_WORDS[code];
    return `cannot reach Redis at ${at}: ${words ?? message}`;
  }
}

/**
 * The legacy service must answer its listing. Only what no retry can mend
 * stops a command here (unreachable, or a 4xx: a wrong URL or token); a 429 or
 * a 5xx is left to the listing's own retries.
 */
async function legacyProblem(connections: Connections, url: string): Promise<string | undefined> {
  const at = `LEGACY_URL=${redactUrl(url)}`;
  try {
    await connections.source.list(null, 1, AbortSignal.timeout(PREFLIGHT_TIMEOUT_MS * 2));
    return undefined;
  } catch (err) {
    if (!(err instanceof ImportFailure)) return `the legacy service at ${at} cannot list: ${messageOf(err)}`;
    if (err.kind === "network") return `cannot reach the legacy service at ${at}: ${CONNECTION_WORDS[codeOf(err.cause) ?? ""] ?? err.message}`;
    const refused = / answered (401|403)\b/.exec(err.message);
    if (err.kind === "http_4xx" && refused) return `the legacy service at ${at} refused the listing (${refused[1]}): check LEGACY_TOKEN`;
    if (err.kind === "http_4xx" || err.kind === "not_found") return `the legacy service at ${at} cannot list: ${err.message}; check LEGACY_URL`;
    return undefined;
  }
}

/**
 * Checks, all at once, that the services a command needs answer, before it
 * changes anything (no run is created by a command that could not go on).
 * @throws ServiceUnavailable with a line per service that does not
 */
export async function preflight(config: Config, connections: Connections, needs: readonly Service[]): Promise<void> {
  const checks: [Service, Promise<string | undefined>][] = [];
  for (const need of new Set(needs)) {
    if (need === "postgres") checks.push([need, postgresProblem(connections.pool, "DATABASE_URL", config.databaseUrl, "import_runs")]);
    if (need === "archive") {
      const own = config.archiveDatabaseUrl;
      checks.push([
        need,
        own === undefined
          ? postgresProblem(connections.pool, "DATABASE_URL", config.databaseUrl, "porter_archive.pages")
          : postgresProblem(connections.archive, "ARCHIVE_DATABASE_URL", own, "porter_archive.pages"),
      ]);
    }
    if (need === "redis") checks.push([need, redisProblem(config.redisUrl)]);
    if (need === "legacy") checks.push([need, legacyProblem(connections, config.legacyUrl)]);
  }
  const problems = await Promise.all(checks.map(async ([service, check]) => [service, await check] as const));
  const failed = problems.filter((p): p is readonly [Service, string] => p[1] !== undefined);
  if (failed.length > 0) throw new ServiceUnavailable(failed.map(([s]) => s), failed.map(([, line]) => line).join("\n"));
}
