import type { Queryable } from "../pool.js";

/**
 * For a chunk job as it starts: the ledger ids among `ids` still `pending`
 * with no attempt recorded. A chunk that runs again (its worker died, a page
 * was enqueued twice) leaves out what is done, failed, cancelled, rolled back
 * or already handed to a job of its own after a failed attempt.
 * $1 ledger ids (uuid[]).
 */
export async function findUntried(db: Queryable, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { rows } = await db.query(
    `SELECT id FROM service_imports WHERE id = ANY($1::uuid[]) AND status = 'pending' AND attempts = 0`,
    [ids],
  );
  return new Set((rows as { id: string }[]).map((r) => r.id));
}
