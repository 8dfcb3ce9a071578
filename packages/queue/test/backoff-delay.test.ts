import { describe, expect, it } from "vitest";
import { backoffDelay, MAX_BACKOFF_MS } from "../src/index.js";

const low = () => 0;
const high = () => 1;
const mid = () => 0.5;

describe("backoffDelay", () => {
  it("is 5 minutes at most", () => {
    expect(MAX_BACKOFF_MS).toBe(300_000);
  });

  it("grows exponentially from the base, between half and all of it", () => {
    const base = 1_000;
    for (let attempt = 1; attempt <= 8; attempt++) {
      const full = base * 2 ** (attempt - 1);
      expect(backoffDelay(attempt, base, undefined, low)).toBe(full / 2);
      expect(backoffDelay(attempt, base, undefined, high)).toBe(full);
      expect(backoffDelay(attempt, base, undefined, mid)).toBe((full * 3) / 4);
    }
  });

  it("each attempt's shortest wait is at least the previous attempt's longest", () => {
    for (let attempt = 1; attempt < 8; attempt++) {
      expect(backoffDelay(attempt + 1, 100, undefined, low)).toBeGreaterThanOrEqual(backoffDelay(attempt, 100, undefined, high));
    }
  });

  it("stays within the jitter bounds for Math.random", () => {
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(3, 100);
      expect(d).toBeGreaterThanOrEqual(200);
      expect(d).toBeLessThanOrEqual(400);
    }
  });

  it("treats attempt 0 like attempt 1", () => {
    expect(backoffDelay(0, 1_000, undefined, high)).toBe(1_000);
    expect(backoffDelay(0, 1_000, undefined, low)).toBe(500);
  });

  it("is a whole number of milliseconds", () => {
    expect(backoffDelay(1, 3, undefined, () => 0.3333)).toBe(2);
    expect(Number.isInteger(backoffDelay(2, 7, undefined, () => 0.123))).toBe(true);
  });

  it("never waits less than a 429's Retry-After", () => {
    expect(backoffDelay(1, 100, { retryAfterMs: 1_000 }, high)).toBe(1_000);
    expect(backoffDelay(1, 100, { retryAfterMs: 5_000 }, low)).toBe(5_000);
    // the backoff wins when it is longer
    expect(backoffDelay(5, 1_000, { retryAfterMs: 1_000 }, low)).toBe(8_000);
    // undefined Retry-After: just the backoff
    expect(backoffDelay(1, 100, { retryAfterMs: undefined }, high)).toBe(100);
  });

  it("caps at MAX_BACKOFF_MS, jitter included", () => {
    expect(backoffDelay(30, 1_000, undefined, high)).toBe(MAX_BACKOFF_MS);
    expect(backoffDelay(30, 1_000, undefined, low)).toBe(MAX_BACKOFF_MS / 2);
    expect(backoffDelay(10_000, 1_000, undefined, high)).toBe(MAX_BACKOFF_MS);
    expect(backoffDelay(2, 1_000, { retryAfterMs: 3_600_000 }, low)).toBe(MAX_BACKOFF_MS);
  });

  it("is 0 for a zero base", () => {
    expect(backoffDelay(4, 0, undefined, high)).toBe(0);
  });
});
