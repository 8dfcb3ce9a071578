import { describe, expect, it } from "vitest";
import { failureFromHttpStatus, ImportFailure, parseRetryAfter } from "../src/index.js";

describe("failureFromHttpStatus", () => {
  it.each([
    [404, "not_found", false],
    [400, "http_4xx", false],
    [408, "timeout", true],
    [429, "rate_limited", true],
    [500, "http_5xx", true],
    [502, "http_5xx", true],
    [503, "http_5xx", true],
  ] as const)("%i → %s (retryable %s), stage fetch, status in the message", (status, kind, retryable) => {
    const failure = failureFromHttpStatus(status, 'GET document "d1"');
    expect(failure).toBeInstanceOf(ImportFailure);
    expect(failure.kind).toBe(kind);
    expect(failure.retryable).toBe(retryable);
    expect(failure.stage).toBe("fetch");
    expect(failure.message).toBe(`GET document "d1": legacy service answered ${status}`);
  });

  it.each([401, 403])("%i says to check LEGACY_TOKEN", (status) => {
    const failure = failureFromHttpStatus(status, 'GET document "d1"');
    expect(failure).toMatchObject({ kind: "http_4xx", retryable: false });
    expect(failure.message).toBe(`GET document "d1": legacy service answered ${status}: check LEGACY_TOKEN`);
  });

  it("429 with Retry-After in seconds carries the wait in ms", () => {
    const failure = failureFromHttpStatus(429, "ctx", "7");
    expect(failure.kind).toBe("rate_limited");
    expect(failure.retryAfterMs).toBe(7_000);
    expect(failure.message).toBe("ctx: legacy service answered 429 (Retry-After 7 s)");
  });

  it("429 with Retry-After as an HTTP date carries the time left until it", () => {
    const before = Date.now();
    const header = new Date(before + 60_000).toUTCString(); // whole seconds: up to 1 s earlier
    const failure = failureFromHttpStatus(429, "ctx", header);
    const after = Date.now();
    expect(failure.retryAfterMs).toBeGreaterThan(60_000 - 1_000 - (after - before) - 1);
    expect(failure.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it("429 takes the first of repeated Retry-After headers", () => {
    expect(failureFromHttpStatus(429, "ctx", ["3", "9"]).retryAfterMs).toBe(3_000);
  });

  it("429 without (or with a garbled) Retry-After has no wait", () => {
    for (const header of [undefined, "", "soon"]) {
      const failure = failureFromHttpStatus(429, "ctx", header);
      expect(failure.kind).toBe("rate_limited");
      expect(failure.retryAfterMs).toBeUndefined();
      expect(failure.message).toBe("ctx: legacy service answered 429");
    }
  });

  it("a Retry-After on another status is ignored", () => {
    expect(failureFromHttpStatus(503, "ctx", "5").retryAfterMs).toBeUndefined();
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2024-03-01T12:00:00Z");
  it("reads delta-seconds, trimmed", () => {
    expect(parseRetryAfter(" 120 ", now)).toBe(120_000);
    expect(parseRetryAfter("0", now)).toBe(0);
  });
  it("reads an HTTP date relative to now, never negative", () => {
    expect(parseRetryAfter("Fri, 01 Mar 2024 12:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Fri, 01 Mar 2024 11:00:00 GMT", now)).toBe(0);
  });
  it("gives undefined for nothing or nonsense", () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter("   ", now)).toBeUndefined();
    expect(parseRetryAfter("later", now)).toBeUndefined();
  });
});
