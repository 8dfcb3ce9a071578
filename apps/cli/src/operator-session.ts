import { redactUrl, type Config } from "@porter/config";
import { getRun, type Run } from "@porter/db";
import { createLogger, type Logger } from "@porter/logger";
import { createRunOperations, openConnections, preflight, type Connections, type RunOperations, type Service } from "@porter/runs";
import { sameServiceUrl } from "@porter/source";
import type pg from "pg";
import { UsageError } from "./exit-codes.js";

/**
 * What the operator commands (status, failures, requeue, rollback, verify)
 * open: the run operations, and the connections under them, each opened on
 * first use (see openConnections).
 */
export interface OperatorSession {
  logger: Logger;
  connections: Connections;
  runs: RunOperations;
  close(): Promise<void>;
}

/**
 * Checks first that the services in `needs` answer (ServiceUnavailable, exit
 * 4, otherwise). `name`: the logger's, on stderr.
 */
export async function openOperatorSession(config: Config, needs: readonly Service[], name = "porter"): Promise<OperatorSession> {
  const logger = createLogger({ level: config.logLevel, name, fd: 2 });
  const connections = openConnections(config, { applicationName: "porter-cli" });
  try {
    await preflight(config, connections, needs);
  } catch (err) {
    await connections.close();
    throw err;
  }
  return {
    logger,
    connections,
    runs: createRunOperations(config, { connections, logger }),
    close: () => connections.close(),
  };
}

/** The run, or a UsageError (exit 2) naming the id and the database. */
export async function requireRun(pool: pg.Pool, config: Config, id: string | "latest"): Promise<Run> {
  const run = await getRun(pool, id);
  if (run) return run;
  const database = new URL(config.databaseUrl).pathname.slice(1);
  throw new UsageError(id === "latest" ? `no run yet in ${database}` : `no run ${id} in ${database}`);
}

/**
 * The configuration to read `run`'s legacy service with: the LEGACY_URL the
 * run was started against (it is recorded on the run), which a line on
 * stderr names when it is not this process's.
 */
export function configForRun(config: Config, run: Run): Config {
  const url = run.options.legacyUrl;
  if (typeof url !== "string" || sameServiceUrl(url, config.legacyUrl)) return config;
  process.stderr.write(`run ${run.id} was started against the legacy service at ${url}: reading it there, not at LEGACY_URL=${redactUrl(config.legacyUrl)}\n`);
  return { ...config, legacyUrl: url };
}
