import { setTimeout as delay } from "node:timers/promises";

/** A random whole number of milliseconds in [min, max]. */
export function between(min: number, max: number, random: () => number = Math.random): number {
  return Math.round(min + random() * (max - min));
}

/** Sleeps, or rejects at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return delay(ms, undefined, signal ? { signal } : undefined);
}
