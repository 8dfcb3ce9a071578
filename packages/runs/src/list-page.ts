import { backoffDelay } from "@porter/queue";
import { ImportFailure } from "@porter/failures";
import type { Logger } from "@porter/logger";
import type { ListPage, Source } from "@porter/source";
import { sleep } from "./sleep.js";

export interface ListPolicy {
  timeoutMs: number;
  attempts: number;
  backoffBaseMs: number;
}

/**
 * Reads one listing page, retrying transient failures (5xx, 429, resets,
 * hangs) with the same backoff as documents. A permanent failure, or the last
 * transient one, is thrown: the run keeps its checkpoint and can be resumed.
 * `signal` gives the page up (a read-ahead nobody needs any more): the
 * request and any backoff stop at once, and the promise rejects with its reason.
 */
export async function listPage(
  source: Source,
  cursor: string | null,
  limit: number,
  policy: ListPolicy,
  logger: Logger,
  signal?: AbortSignal,
): Promise<ListPage> {
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), policy.timeoutMs);
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      return await source.list(cursor, limit, controller.signal);
    } catch (err) {
      signal?.throwIfAborted();
      const retryable = err instanceof ImportFailure && err.retryable;
      if (!retryable || attempt >= policy.attempts) throw err;
      const wait = backoffDelay(attempt, policy.backoffBaseMs, err);
      logger.warn({ kind: err.kind, attempt, waitMs: wait }, `listing page failed, retrying: ${err.message}`);
      await sleep(wait, signal);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }
}
