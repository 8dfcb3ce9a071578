import { connectionLoss } from "@porter/failures";
import type { Logger } from "@porter/logger";
import { sleep } from "./sleep.js";

export type Store = "redis" | "postgres";

/** The store stayed unreachable for longer than the enqueuer may wait. */
export class StoreUnavailableError extends Error {
  override readonly name = "StoreUnavailableError";
  readonly kind = "store_unavailable";

  constructor(
    readonly store: Store,
    /** How long the calls were retried, from the first failure. */
    readonly triedMs: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface StoreRetryOptions {
  /** How long a store may stay unreachable before the call fails (STORE_OUTAGE_MS). */
  outageMs: number;
  /** First wait between tries; doubles each try, with jitter, up to `maxDelayMs`. */
  minDelayMs?: number;
  maxDelayMs?: number;
  /**
   * A try that has not answered after this long (at most `outageMs`) counts
   * as an outage: BullMQ waits, without limit, for a connection that was
   * never ready. Default 30 s.
   */
  tryTimeoutMs?: number;
  /** Appended to the give-up message: what the operator can do next. */
  hint?: string;
  random?: () => number;
  now?: () => number;
}

class NoAnswer extends Error {}

/** Seconds for a message: "120", "1.5". */
function seconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}

/**
 * Runs the enqueuer's store calls through an outage of Redis or Postgres:
 * a call that fails because the connection is gone is tried again, with
 * backoff and jitter (0.5 s doubling to 5 s), until it succeeds or the store
 * has been away for `outageMs`. Only safe for calls that may run twice —
 * every store step of a listed page is (job id = ledger id, the ledger
 * ignores a repeated id). One instance per process: the outage is the
 * store's, not the call's, so it logs one warning when a store goes away
 * and one line when it is back, whichever calls noticed.
 */
export class StoreRetry {
  private readonly down = new Map<Store, { since: number }>();
  private readonly minDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(
    private readonly logger: Logger,
    private readonly options: StoreRetryOptions,
  ) {
    this.minDelayMs = options.minDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 5_000;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
  }

  redis<T>(call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.run("redis", call, signal);
  }

  postgres<T>(call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.run("postgres", call, signal);
  }

  async run<T>(store: Store, call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (let tries = 0; ; tries++) {
      let value: T;
      try {
        value = await this.answerWithin(store, call);
      } catch (err) {
        const reason = err instanceof NoAnswer ? err.message : connectionLoss(err);
        if (reason === undefined || signal?.aborted) throw err;
        const since = this.wentAway(store, reason);
        const triedMs = this.now() - since;
        const leftMs = this.options.outageMs - triedMs;
        if (leftMs <= 0) {
          const hint = this.options.hint ? `; ${this.options.hint}` : "";
          throw new StoreUnavailableError(store, triedMs, `${store} unreachable for ${seconds(triedMs)} s, gave up: ${reason}${hint}`, {
            cause: err,
          });
        }
        const cap = Math.min(this.maxDelayMs, this.minDelayMs * 2 ** tries);
        // Half fixed, half random: enqueuers started together do not retry in step.
        const delayMs = Math.min(leftMs, Math.round(cap / 2 + (this.random() * cap) / 2));
        this.logger.debug({ store, reason, delayMs }, `${store} still unreachable, trying again in ${delayMs} ms`);
        await sleep(delayMs, signal);
        continue;
      }
      this.cameBack(store);
      return value;
    }
  }

  private async answerWithin<T>(store: Store, call: () => Promise<T>): Promise<T> {
    const ms = Math.max(1, Math.min(this.options.tryTimeoutMs ?? 30_000, this.options.outageMs));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new NoAnswer(`no answer from ${store} within ${seconds(ms)} s`)), ms);
    });
    const attempt = call();
    // A call that answers after its timeout is harmless (every call here may run twice).
    attempt.catch(() => {});
    try {
      return await Promise.race([attempt, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private wentAway(store: Store, reason: string): number {
    const outage = this.down.get(store);
    if (outage) return outage.since;
    const since = this.now();
    this.down.set(store, { since });
    this.logger.warn({ store, reason, outageMs: this.options.outageMs }, `${store} unreachable, retrying for up to ${seconds(this.options.outageMs)} s: ${reason}`);
    return since;
  }

  private cameBack(store: Store): void {
    const outage = this.down.get(store);
    if (!outage) return;
    this.down.delete(store);
    const ms = this.now() - outage.since;
    this.logger.info({ store, outageMs: ms }, `${store} is back after ${(ms / 1000).toFixed(1)} s`);
  }
}
