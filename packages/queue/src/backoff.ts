import { MAX_BACKOFF_MS } from "./tuning.js";

/** What the backoff needs to know of a failure: the least wait a 429 asked for. */
interface WithRetryAfter {
  retryAfterMs?: number | undefined;
}

/**
 * Delay before attempt `attemptsMade + 1`: exponential from `baseMs`
 * (base, 2·base, 4·base …) with "equal jitter" (between half and all of it),
 * so documents that failed together do not all come back together; never
 * less than a 429's Retry-After; at most MAX_BACKOFF_MS.
 */
export function backoffDelay(
  attemptsMade: number,
  baseMs: number,
  err?: WithRetryAfter,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, attemptsMade - 1));
  const jittered = exponential / 2 + random() * (exponential / 2);
  const retryAfter = err?.retryAfterMs ?? 0;
  return Math.round(Math.min(MAX_BACKOFF_MS, Math.max(jittered, retryAfter)));
}
