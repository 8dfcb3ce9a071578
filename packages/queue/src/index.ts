export { BACKOFF_TYPE, QUEUE_NAME, type ImportJobData } from "./names.js";
export { backoffDelay, MAX_BACKOFF_MS } from "./backoff.js";
export { createRedis, type RedisConnection, type RedisOptions } from "./connection.js";
export { createImportQueue, importJobOptions, queueDepth, type ImportQueue, type JobPolicy } from "./import-queue.js";
export { addLedgerJobs, type LedgerJob } from "./ledger-jobs.js";
export { jobPresence, type JobPresence } from "./job-presence.js";
export { removeRunJobs, type RemovedJobs } from "./remove-run-jobs.js";
export { RedisLease } from "./lease.js";
export { checkEvictionPolicy, readEvictionPolicy, type CheckLogger, type CheckOptions, type EvictionPolicy } from "./check-redis.js";
