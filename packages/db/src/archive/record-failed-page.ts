import type pg from "pg";
import { recordFailure, type FailureRecord } from "../ledger/record-failure.js";
import { archivePages, type ArchivedPage } from "./archive-pages.js";

/**
 * A failed attempt whose page came with 200 (it failed at extract or load):
 * the failure and the page in one transaction, so the archive holds every
 * page fetched, including those a later fix of the extractor may read.
 */
export async function recordFailedPage(pool: pg.Pool, failure: FailureRecord, page: ArchivedPage): Promise<void> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query("BEGIN");
    await archivePages(client, [page]);
    await recordFailure(client, failure);
    await client.query("COMMIT");
  } catch (err) {
    broken = err as Error;
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    client.release(broken);
  }
}
