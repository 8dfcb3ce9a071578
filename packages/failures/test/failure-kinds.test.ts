import { describe, expect, it } from "vitest";
import { FAILURE_KINDS, ImportFailure, isFailureKind, toImportFailure, type FailureKind } from "../src/index.js";

const ALL = Object.keys(FAILURE_KINDS) as FailureKind[];

describe("retryable comes from the kind table", () => {
  it("covers the documented kinds", () => {
    expect([...ALL].sort()).toEqual(
      [
        "db_error",
        "db_unavailable",
        "http_4xx",
        "http_5xx",
        "invalid_document",
        "invalid_id",
        "invalid_json",
        "network",
        "no_embedded_json",
        "not_archived",
        "not_found",
        "rate_limited",
        "timeout",
        "too_large",
        "unknown",
      ].sort(),
    );
  });

  it.each(ALL)("%s", (kind) => {
    const failure = new ImportFailure(kind, "m");
    expect(failure.retryable).toBe(FAILURE_KINDS[kind].retryable);
    expect(FAILURE_KINDS[kind].meaning.length).toBeGreaterThan(10);
    expect(isFailureKind(kind)).toBe(true);
  });

  it("transient kinds retry, permanent ones do not", () => {
    const retryable = ALL.filter((k) => new ImportFailure(k, "m").retryable).sort();
    expect(retryable).toEqual(["db_error", "db_unavailable", "http_5xx", "network", "rate_limited", "timeout"]);
  });

  it("a failure a replay repeats from the record is never retried, whatever its kind", () => {
    for (const kind of ALL) expect(new ImportFailure(kind, "m", { replayed: true }).retryable).toBe(false);
    expect(new ImportFailure("http_5xx", "m").retryable).toBe(true);
  });

  it("isFailureKind refuses other strings, including Object.prototype names", () => {
    for (const s of ["", "toString", "constructor", "__proto__", "NOT_FOUND", "oops"]) expect(isFailureKind(s)).toBe(false);
  });
});

describe("ImportFailure", () => {
  it("carries kind, stage, retryAfterMs and cause", () => {
    const cause = new Error("inner");
    const failure = new ImportFailure("rate_limited", "slow down", { stage: "fetch", retryAfterMs: 1500, cause });
    expect(failure).toBeInstanceOf(Error);
    expect(failure.name).toBe("ImportFailure");
    expect(failure.kind).toBe("rate_limited");
    expect(failure.stage).toBe("fetch");
    expect(failure.retryAfterMs).toBe(1500);
    expect(failure.cause).toBe(cause);
    expect(failure.stack).toContain("ImportFailure: slow down");
  });

  it("has no cause property when none is given", () => {
    expect(Object.hasOwn(new ImportFailure("unknown", "m"), "cause")).toBe(false);
  });
});

describe("toImportFailure", () => {
  it("keeps an ImportFailure (same object) and sets its missing stage", () => {
    const failure = new ImportFailure("invalid_json", "bad json");
    const out = toImportFailure(failure, "extract");
    expect(out).toBe(failure);
    expect(out.stage).toBe("extract");
    expect(out.kind).toBe("invalid_json");
  });

  it("does not move an ImportFailure out of the stage it already names", () => {
    const failure = new ImportFailure("timeout", "t", { stage: "fetch" });
    expect(toImportFailure(failure, "load").stage).toBe("fetch");
  });

  it("wraps anything else as unknown at that stage, keeping the cause", () => {
    const err = new TypeError("cannot read properties of undefined");
    const out = toImportFailure(err, "load");
    expect(out).toBeInstanceOf(ImportFailure);
    expect(out.kind).toBe("unknown");
    expect(out.retryable).toBe(false);
    expect(out.stage).toBe("load");
    expect(out.message).toBe("cannot read properties of undefined");
    expect(out.cause).toBe(err);
    expect(toImportFailure("a string", "fetch").message).toBe("a string");
  });
});
