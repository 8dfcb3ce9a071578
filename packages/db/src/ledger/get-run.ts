import type { Queryable } from "../pool.js";
import type { Run } from "./types.js";
import { RUN_COLUMNS, toRun } from "./run-row.js";

/** One run by id, or the newest run for `latest`; undefined when there is none. */
export async function getRun(db: Queryable, id: string | "latest"): Promise<Run | undefined> {
  const { rows } =
    id === "latest"
      ? await db.query(`SELECT ${RUN_COLUMNS} FROM import_runs ORDER BY started_at DESC LIMIT 1`)
      : await db.query(`SELECT ${RUN_COLUMNS} FROM import_runs WHERE id = $1`, [id]);
  return rows[0] ? toRun(rows[0]) : undefined;
}

/** The newest run in one of `statuses`, or undefined when there is none. */
export async function getLatestRunIn(db: Queryable, statuses: readonly Run["status"][]): Promise<Run | undefined> {
  const { rows } = await db.query(
    `SELECT ${RUN_COLUMNS} FROM import_runs WHERE status = ANY($1::run_status[]) ORDER BY started_at DESC LIMIT 1`,
    [statuses],
  );
  return rows[0] ? toRun(rows[0]) : undefined;
}
