import type pg from "pg";
import { ConfigError, redactUrl } from "@porter/config";
import { connectionLoss } from "@porter/failures";
import type { Logger } from "@porter/logger";
import { setTimeout as delay } from "node:timers/promises";
import { DATABASE_RETRY_MS } from "./tuning.js";

/**
 * SQLSTATEs no wait can cure: 28 (bad user or password, pg_hba refusal),
 * 3D000 (no such database), 42501 (no CONNECT privilege).
 */
function isRefusal(code: string): boolean {
  return code.startsWith("28") || code === "3D000" || code === "42501";
}

/**
 * Connects once before the worker takes jobs. A database that refuses
 * DATABASE_URL (credentials, a missing database) is bad configuration: a
 * ConfigError (exit 2) naming it, the password hidden — otherwise every job
 * would fail while the worker looked healthy. A Postgres that is not up yet
 * (compose starting, a restart) is waited for, with one line saying so.
 * Resolves false when `signal` aborts first (SIGTERM during the wait).
 */
export async function waitForDatabase(
  pool: pg.Pool,
  databaseUrl: string,
  logger: Logger,
  signal: AbortSignal,
  variable = "DATABASE_URL",
): Promise<boolean> {
  let waitingSince: number | undefined;
  while (!signal.aborted) {
    try {
      await pool.query("SELECT 1");
      if (waitingSince !== undefined) logger.info(`postgres is reachable after ${((Date.now() - waitingSince) / 1000).toFixed(1)} s`);
      return true;
    } catch (err) {
      const code = typeof (err as { code?: unknown }).code === "string" ? (err as { code: string }).code : "";
      const message = err instanceof Error ? err.message : String(err);
      if (isRefusal(code)) {
        const hint = code === "3D000" ? "; `porter db migrate` creates it" : "";
        throw new ConfigError(`${variable}: Postgres refused ${redactUrl(databaseUrl)}: ${message} (SQLSTATE ${code})${hint}`);
      }
      const reason = connectionLoss(err);
      if (reason === undefined) throw err;
      if (waitingSince === undefined) {
        waitingSince = Date.now();
        logger.warn({ reason }, `postgres unreachable at ${redactUrl(databaseUrl)}, waiting for it: ${reason}`);
      }
      await delay(DATABASE_RETRY_MS * (1 + Math.random()), undefined, { signal }).catch(() => {});
    }
  }
  return false;
}
