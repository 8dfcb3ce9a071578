import type { Redis } from "ioredis";
import { findUntried, type Queryable } from "@porter/db";
import { addLedgerJobs, type ChunkJobData, type ImportQueue, type JobPolicy } from "@porter/queue";

/**
 * For a chunk job that failed as a whole (it stalled past MAX_STALLED_COUNT:
 * one of its documents may crash every worker that takes it; or it could not
 * read the ledger for JOB_ATTEMPTS attempts): each document it did not
 * attempt gets a job of its own, so a bad one fails alone and the others go
 * on. Returns how many jobs were added.
 */
export async function handOutChunk(
  db: Queryable,
  queue: ImportQueue,
  redis: Redis,
  data: Partial<ChunkJobData> | undefined,
  policy: JobPolicy,
): Promise<number> {
  const runId = data?.runId;
  const documents = Array.isArray(data?.documents) ? data.documents : [];
  if (typeof runId !== "string" || documents.length === 0) return 0;
  const untried = await findUntried(db, documents.map((d) => d.id));
  const rows = documents.filter((d) => untried.has(d.id)).map((d) => ({ ...d, runId }));
  await addLedgerJobs(queue, redis, rows, policy);
  return rows.length;
}
