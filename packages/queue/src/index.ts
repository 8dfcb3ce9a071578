export {
  BACKOFF_TYPE,
  CHUNK_JOB_NAME,
  IMPORT_JOB_NAME,
  QUEUE_NAME,
  type ChunkDocument,
  type ChunkJobData,
  type ImportJobData,
  type QueueJobData,
} from "./names.js";
export { backoffDelay } from "./backoff.js";
export { MAX_BACKOFF_MS } from "./tuning.js";
export { createRedis, type RedisConnection, type RedisOptions } from "./connection.js";
export {
  createImportQueue,
  chunkJobId,
  firstAttemptJobs,
  importJob,
  importJobOptions,
  retryJob,
  queueDepth,
  queuedDocuments,
  CHUNK_JOB_ID_PREFIX,
  type ChunkJob,
  type ImportJob,
  type ImportQueue,
  type JobPolicy,
  type LedgerJob,
} from "./import-queue.js";
export { addLedgerJobs } from "./ledger-jobs.js";
export { chunkMembers, jobPresence, type JobPresence } from "./job-presence.js";
export { removeRunJobs, type RemovedJobs } from "./remove-run-jobs.js";
export { RedisLease } from "./lease.js";
export { pingRedis } from "./ping-redis.js";
export { checkEvictionPolicy, readEvictionPolicy, type CheckLogger, type CheckOptions, type EvictionPolicy } from "./check-redis.js";
export { watchRedis } from "./watch-redis.js";
