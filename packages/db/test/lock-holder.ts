import pg from "pg";
import { waitFor } from "@porter/testing";

/** A separate connection holding row locks in an open transaction, as another writer would. */
export async function holdLock(url: string, sql: string, values: unknown[]): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url, application_name: "porter-test-lock" });
  await client.connect();
  await client.query("BEGIN");
  const { rowCount } = await client.query(sql, values);
  if (rowCount !== 1) throw new Error(`expected to lock one row, locked ${rowCount}`);
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      try {
        await client.query("ROLLBACK");
      } finally {
        await client.end();
      }
    },
  };
}

/** Load statements (LOAD_DOCUMENT) of this database that are running now, or waiting for a lock. */
export async function activeLoads(pool: pg.Pool, waitingOnLock = false): Promise<number> {
  const { rows } = await pool.query(
    `SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'
        AND query LIKE '%INSERT INTO documents AS d%'
        ${waitingOnLock ? "AND wait_event_type = 'Lock'" : ""}`,
  );
  return (rows[0] as { n: number }).n;
}

export function waitForLoads(pool: pg.Pool, n: number, waitingOnLock: boolean, timeoutMs = 10_000): Promise<true> {
  return waitFor(
    `${n} load statement(s)${waitingOnLock ? " waiting on a lock" : ""}`,
    async () => ((await activeLoads(pool, waitingOnLock)) === n ? true : undefined),
    { timeoutMs, intervalMs: 20 },
  );
}
