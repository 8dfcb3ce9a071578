import type { Redis } from "ioredis";
import type pg from "pg";
import type { Config } from "@porter/config";
import {
  claimForRevival,
  completeRunIfDone,
  findStaleImports,
  listActiveRuns,
  type StaleImportsCursor,
} from "@porter/db";
import type { Logger } from "@porter/logger";
import {
  addLedgerJobs,
  createImportQueue,
  createRedis,
  jobPresence,
  RedisLease,
  type ImportQueue,
} from "@porter/queue";
import { RECONCILE_BATCH, RECONCILE_LEASE_INTERVALS, RECONCILE_LEASE_MIN_MS } from "./tuning.js";

export interface ReconcilerDeps {
  config: Config;
  logger: Logger;
  /** The process's pool; a tick uses one connection for a few short statements. */
  pool: pg.Pool;
}

export interface TickResult {
  /** Whether this process held the lease: only the holder does anything. */
  leader: boolean;
  /** Runs this tick marked `completed`. */
  completed: number;
  /** Unfinished ledger rows whose job was checked in Redis. */
  checked: number;
  /** Jobs added again for rows whose job was missing (or failed while the ledger says pending). */
  revived: number;
}

/**
 * Brings Redis back in line with the ledger, which is the truth. Every
 * worker process runs one; a Redis lease (`{prefix}:reconciler:lease`, SET NX
 * PX renewed each tick, taken over by another process after three intervals
 * without renewal) lets one act at a time. Each tick of the holder:
 *
 * 1. marks `completed` every `running` run with no `pending`/`running` row
 *    left (also when nobody follows it);
 * 2. reads up to RECONCILE_BATCH ledger rows `pending`/`running` of runs
 *    still `listing`/`running` and untouched for RECONCILE_GRACE_MS, continuing
 *    from where the previous tick stopped; looks up their jobs (one pipeline
 *    of EXISTS + ZSCORE); for each row whose job is gone (Redis flushed, keys
 *    deleted by hand) or sits in the failed set while the ledger still
 *    expects it, re-checks the row in Postgres, restarts its grace period and
 *    adds the job again (a failed job is replaced).
 *
 * When all is well a tick is a few indexed queries and one pipeline. Adding a
 * job that exists is a no-op (job id = ledger id), so a race with the
 * enqueuer, a requeue or a second holder costs nothing. The grace period
 * covers the moment between a ledger row's insert and its job's add.
 */
export class Reconciler {
  private readonly redis: Redis;
  private readonly queue: ImportQueue;
  private readonly lease: RedisLease;
  private readonly log: Logger;
  private cursor: StaleImportsCursor | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(private readonly deps: ReconcilerDeps) {
    const { config } = deps;
    // Its own connection, failing fast: a tick during a Redis outage errors and the next one retries.
    this.redis = createRedis(config.redisUrl, { role: "producer" });
    this.redis.on("error", () => {}); // reconnects by itself; ticks report what fails
    this.queue = createImportQueue(this.redis, config.queuePrefix);
    this.queue.on("error", () => {});
    const ttlMs = Math.max(RECONCILE_LEASE_INTERVALS * config.reconcileIntervalMs, RECONCILE_LEASE_MIN_MS);
    this.lease = new RedisLease(this.redis, `${config.queuePrefix}:reconciler:lease`, ttlMs);
    this.log = deps.logger.child({ component: "reconciler" });
  }

  /** Ticks every RECONCILE_INTERVAL_MS (the first after a random part of it, so processes spread out). */
  start(): void {
    if (this.stopped || this.timer) return;
    this.schedule(Math.random() * this.deps.config.reconcileIntervalMs);
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .catch((err: unknown) => this.log.warn({ err }, "reconcile tick failed; trying again next interval"))
        .finally(() => {
          this.running = undefined;
          if (!this.stopped) this.schedule(this.deps.config.reconcileIntervalMs);
        });
    }, delayMs);
    this.timer.unref();
  }

  /** One round (also for tests). Only the lease holder does anything. */
  async tick(): Promise<TickResult> {
    const result: TickResult = { leader: false, completed: 0, checked: 0, revived: 0 };
    await this.queue.waitUntilReady(); // the connection fails fast and has no offline queue
    if (!(await this.lease.acquire())) return result;
    result.leader = true;
    const { pool, config } = this.deps;

    for (const run of await listActiveRuns(pool)) {
      if (run.status === "running" && (await completeRunIfDone(pool, run.id))) {
        result.completed++;
        this.log.info({ runId: run.id }, "run completed");
      }
    }

    const rows = await findStaleImports(pool, {
      graceMs: config.reconcileGraceMs,
      limit: RECONCILE_BATCH,
      after: this.cursor,
    });
    const last = rows.at(-1);
    // A full page: the next tick goes on after it; otherwise it starts over.
    this.cursor = rows.length === RECONCILE_BATCH && last ? { runId: last.runId, id: last.id } : undefined;
    result.checked = rows.length;
    if (rows.length === 0) return result;

    const presence = await jobPresence(this.queue, this.redis, rows.map((r) => r.id));
    const lost = rows.filter((r) => presence.get(r.id) !== "present").map((r) => r.id);
    if (lost.length === 0) return result;
    // Re-checked in Postgres after Redis: a row that finished meanwhile lost its job normally.
    const revive = await claimForRevival(pool, lost);
    if (revive.length === 0) return result;
    await addLedgerJobs(this.queue, this.redis, revive, { attempts: config.jobAttempts });
    result.revived = revive.length;
    this.log.warn(
      { revived: revive.length, runIds: [...new Set(revive.map((r) => r.runId))] },
      `revived ${revive.length} documents whose job was lost from Redis`,
    );
    return result;
  }

  /** Stops ticking, waits for a tick in progress, gives the lease up and closes its connection. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.lease.release().catch(() => {});
    await this.queue.close().catch(() => {});
    await this.redis.quit().catch(() => {});
  }
}
