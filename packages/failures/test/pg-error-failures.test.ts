import { describe, expect, it } from "vitest";
import { failureFromPgError, ImportFailure } from "../src/index.js";

function pgError(code: string | undefined, message = "boom"): Error {
  const err = new Error(message);
  return code === undefined ? err : Object.assign(err, { code });
}

describe("failureFromPgError by SQLSTATE", () => {
  it.each([
    ["57014", "timeout", true], // query_canceled
    ["08006", "db_unavailable", true], // connection_failure
    ["08003", "db_unavailable", true], // connection_does_not_exist
    ["57P01", "db_unavailable", true], // admin_shutdown
    ["57P02", "db_unavailable", true], // crash_shutdown
    ["57P03", "db_unavailable", true], // cannot_connect_now
    ["22P02", "invalid_document", false], // invalid_text_representation
    ["22007", "invalid_document", false], // invalid_datetime_format
    ["22021", "invalid_document", false], // character_not_in_repertoire
    ["40P01", "db_error", true], // deadlock_detected
    ["40001", "db_error", true], // serialization_failure
    ["53300", "db_error", true], // too_many_connections
    ["42P01", "unknown", false], // undefined_table
    ["42703", "unknown", false], // undefined_column
  ] as const)("%s → %s (retryable %s), stage load", (code, kind, retryable) => {
    const err = pgError(code, "relation does not exist");
    const failure = failureFromPgError(err, 'load "d1"');
    expect(failure).toBeInstanceOf(ImportFailure);
    expect(failure.kind).toBe(kind);
    expect(failure.retryable).toBe(retryable);
    expect(failure.stage).toBe("load");
    expect(failure.cause).toBe(err);
    expect(failure.message).toBe(`load "d1": relation does not exist (SQLSTATE ${code})`);
  });

  it("no SQLSTATE (the socket died) → db_unavailable", () => {
    const failure = failureFromPgError(pgError(undefined, "Connection terminated unexpectedly"), "ctx");
    expect(failure.kind).toBe("db_unavailable");
    expect(failure.retryable).toBe(true);
    expect(failure.stage).toBe("load");
    expect(failure.message).toBe("ctx: Connection terminated unexpectedly");
  });

  it.each(["ECONNRESET", "ECONNREFUSED", "EPIPE"])("a socket error (%s) is db_unavailable, not a SQLSTATE", (code) => {
    const failure = failureFromPgError(pgError(code, `connect ${code}`), "ctx", "fetch");
    expect(failure.kind).toBe("db_unavailable");
    expect(failure.retryable).toBe(true);
    expect(failure.stage).toBe("fetch");
    expect(failure.message).toBe(`ctx: connect ${code} (${code})`);
  });

  it("an ImportFailure passes through untouched", () => {
    const original = new ImportFailure("timeout", "t", { stage: "load" });
    expect(failureFromPgError(original, "ctx")).toBe(original);
  });
});
