import pg from "pg";

/** What a query function needs: a pool or a checked-out client. */
export type Queryable = Pick<pg.Pool, "query">;

export interface PoolOptions {
  connectionString: string;
  max?: number;
  /** Server-side cap on every statement: Postgres cancels what runs longer. */
  statementTimeoutMs?: number;
  applicationName?: string;
}

export function createPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? "porter",
    ...(options.statementTimeoutMs === undefined ? {} : { statement_timeout: options.statementTimeoutMs }),
    connectionTimeoutMillis: 10_000,
  });
  // An idle client whose server went away (restart, pg_terminate_backend) emits
  // here; without a listener that would crash the process. The pool drops it.
  pool.on("error", () => {});
  // A checked-out client is not covered by the listener above: if its server
  // goes away between two of its queries (pg_terminate_backend, a failover),
  // it emits 'error' on itself, and with no listener that kills the process.
  // The query in flight, or the next one, fails instead, and its caller
  // discards the client.
  pool.on("connect", (client) => client.on("error", () => {}));
  return pool;
}
