/**
 * The queue's fixed tuning values, shared by every process that adds or
 * removes jobs. Settings an operator may change live in @porter/config; the
 * worker's own values are in apps/worker/src/tuning.ts.
 */

/**
 * The longest wait between two attempts of a document, jitter and a 429's
 * Retry-After included: five minutes keeps a retried document within a run's
 * lifetime when the legacy service is down for a while or asks for hours.
 */
export const MAX_BACKOFF_MS = 5 * 60_000;

/**
 * Failed jobs kept in Redis (BullMQ's removeOnFail count), for Bull Board and
 * `getJob`: enough to look at a bad run's recent failures, few enough that a
 * run of mostly failures keeps Redis small. The ledger holds every failure.
 */
export const FAILED_JOBS_KEPT = 5_000;

/**
 * Job ids per Redis pipeline or addBulk: big enough that a round trip is
 * shared by many jobs, small enough that one call never blocks Redis (a
 * single-threaded server) for long or builds a large reply.
 */
export const REDIS_CHUNK = 1_000;

/**
 * Retries per command on a producer connection before it fails: a Redis that
 * restarts is waited out for a few reconnects, a dead one becomes an error
 * instead of a hang (workers retry for ever: BullMQ needs that).
 */
export const PRODUCER_MAX_RETRIES = 3;
