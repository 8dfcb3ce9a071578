export { BACKOFF_TYPE, QUEUE_NAME, type ImportJobData } from "./names.js";
export { backoffDelay, MAX_BACKOFF_MS } from "./backoff.js";
export { createRedis, type RedisOptions } from "./connection.js";
export { createImportQueue, importJobOptions, queueDepth, type ImportQueue, type JobPolicy } from "./import-queue.js";
