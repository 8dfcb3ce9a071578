/**
 * The worker's fixed tuning values: sizes, caps and timeouts that are not
 * configuration (an operator never needs to change them; change them here,
 * with a benchmark, if the workload says so). Settings an operator may change
 * live in @porter/config; the queue's own values are in @porter/queue's tuning.ts.
 */

/**
 * Group commit: most documents per load transaction. Past about a hundred
 * rows a multi-row statement saves little more per document, and a batch
 * that fails is retried one document at a time, so a larger one costs more
 * when a document is bad.
 */
export const LOAD_MAX_BATCH = 100;

/**
 * Most text (title and body, UTF-16 code units) per load transaction: 4 Mi,
 * thousands of ordinary documents or one large one. pg holds a statement's
 * parameters as strings several times over; batching large documents saves
 * nothing and only multiplies that memory.
 */
export const LOAD_MAX_BATCH_CHARS = 4 * 1024 * 1024;

/**
 * Load transactions in flight at once, per worker process. One: the documents
 * that finish while it commits form the next, larger, batch. A transaction
 * costs Postgres a fixed share (its statements, their plans, the commit)
 * whatever its size, so fewer and larger ones cost less per document; the
 * documents waiting meanwhile hold no connection. Measured with the bench
 * (50,000 documents, 2 workers × 100, three pairs of runs): two in flight
 * made batches of 25 documents, one makes batches of 40, with 15% less
 * Postgres CPU, 9% less CPU per document in all and 7% more docs/s.
 */
export const LOAD_MAX_IN_FLIGHT = 1;

/**
 * Most Postgres connections in a worker's pool, whatever WORKER_CONCURRENCY.
 * Loads are batched (LOAD_MAX_IN_FLIGHT transactions), so beyond that the
 * pool serves failures, per-document fallbacks and the reconciler; 20 keeps
 * four workers within Postgres's default max_connections of 100.
 */
export const WORKER_POOL_MAX = 20;

/**
 * Connections to the archive's own database (ARCHIVE_DATABASE_URL) per worker
 * process. Each page is one short insert there, right after its fetch; 10
 * keeps up with the fetches on this machine and leaves room for four workers.
 */
export const ARCHIVE_POOL_MAX = 10;

/**
 * Times a job may stall (its worker died holding it: SIGKILL, OOM, a lost
 * host) and be put back before BullMQ fails it. Two survives an unlucky
 * deploy or a neighbour's crash; a document that kills every worker that
 * takes it fails on its third stall instead of taking workers down for ever.
 */
export const MAX_STALLED_COUNT = 2;

/**
 * How long /readyz waits for Redis PING and Postgres SELECT 1, and a scrape
 * for the queue counts: well under a probe's usual timeout, so a store that
 * hangs reads as down rather than as a probe that never answers.
 */
export const HEALTH_CHECK_TIMEOUT_MS = 2_000;

/**
 * Ledger rows the reconciler looks at per tick, at most: one indexed page and
 * one Redis pipeline of about 10k commands, so a tick stays short whatever
 * the backlog; the next tick goes on from where it stopped.
 */
export const RECONCILE_BATCH = 5_000;

/**
 * The reconciler's lease lasts this many intervals without renewal before
 * another process takes over: one slow tick does not hand it over, a dead
 * holder is replaced within seconds.
 */
export const RECONCILE_LEASE_INTERVALS = 3;

/** ...and never less than this, so a very short RECONCILE_INTERVAL_MS does not make the lease flap. */
export const RECONCILE_LEASE_MIN_MS = 5_000;

/**
 * While Postgres is not up at start-up, wait between this and twice this
 * before trying again: often enough to start soon after it is, spread so that
 * many workers started together do not knock at the same moment.
 */
export const DATABASE_RETRY_MS = 1_000;
