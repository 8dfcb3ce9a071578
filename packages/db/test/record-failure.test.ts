import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@porter/testing";
import { recordFailure, type FailureRecord } from "../src/index.js";
import { ledgerId, ledgerRow, seedRun } from "./fixtures.js";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase("porter_record_failure");
});

afterAll(async () => {
  await db?.drop();
});

function failure(id: string, overrides: Partial<FailureRecord> = {}): FailureRecord {
  return {
    ledgerId: id,
    attempts: 1,
    kind: "http_5xx",
    stage: "fetch",
    message: 'GET document "a": legacy service answered 503',
    stacktrace: "ImportFailure: boom\n    at fetchPage (http-source.ts:1:1)",
    durationMs: 12.6,
    final: false,
    ...overrides,
  };
}

describe("recordFailure", () => {
  it("a final failure marks the row failed with kind, stage, message, stack, attempts and duration", async () => {
    const seed = await seedRun(db.pool, ["a"]);
    const id = ledgerId(seed, "a");
    await recordFailure(db.pool, failure(id, { final: true, kind: "not_found", attempts: 1, message: "404 → gone" }));
    const row = await ledgerRow(db.pool, id);
    expect(row).toMatchObject({
      status: "failed",
      attempts: 1,
      error_kind: "not_found",
      error_stage: "fetch",
      last_error: "404 → gone",
      stacktrace: "ImportFailure: boom\n    at fetchPage (http-source.ts:1:1)",
      duration_ms: 13,
    });
    expect(row.finished_at).toBeInstanceOf(Date);
  });

  it("a non-final failure leaves the row pending with the error recorded", async () => {
    const seed = await seedRun(db.pool, ["b"]);
    const id = ledgerId(seed, "b");
    await db.pool.query("UPDATE service_imports SET status = 'running' WHERE id = $1", [id]);
    await recordFailure(db.pool, failure(id, { attempts: 2, stage: undefined, stacktrace: undefined }));
    expect(await ledgerRow(db.pool, id)).toMatchObject({
      status: "pending",
      attempts: 2,
      error_kind: "http_5xx",
      error_stage: null,
      stacktrace: null,
      finished_at: null,
    });
  });

  it("a later final failure turns a pending row failed; a retry's record can overwrite an earlier failed one", async () => {
    const seed = await seedRun(db.pool, ["c"]);
    const id = ledgerId(seed, "c");
    await recordFailure(db.pool, failure(id, { attempts: 1 }));
    await recordFailure(db.pool, failure(id, { attempts: 2, final: true, kind: "timeout", stage: "load" }));
    expect(await ledgerRow(db.pool, id)).toMatchObject({ status: "failed", attempts: 2, error_kind: "timeout", error_stage: "load" });
  });

  it("never overwrites a succeeded row", async () => {
    const seed = await seedRun(db.pool, ["d"]);
    const id = ledgerId(seed, "d");
    await db.pool.query("UPDATE service_imports SET status = 'succeeded', attempts = 1, duration_ms = 5 WHERE id = $1", [id]);
    await recordFailure(db.pool, failure(id, { final: true, attempts: 1, kind: "timeout" }));
    await recordFailure(db.pool, failure(id, { final: false, attempts: 2 }));
    expect(await ledgerRow(db.pool, id)).toMatchObject({
      status: "succeeded",
      attempts: 1,
      error_kind: null,
      last_error: null,
      stacktrace: null,
      duration_ms: 5,
    });
  });

  it("never overwrites a rolled-back row", async () => {
    const seed = await seedRun(db.pool, ["e"]);
    const id = ledgerId(seed, "e");
    await db.pool.query("UPDATE service_imports SET status = 'rolled_back' WHERE id = $1", [id]);
    await recordFailure(db.pool, failure(id, { final: true }));
    expect(await ledgerRow(db.pool, id)).toMatchObject({ status: "rolled_back", error_kind: null });
  });

  it("stores a long unicode message and stack as given", async () => {
    const seed = await seedRun(db.pool, ["f"]);
    const id = ledgerId(seed, "f");
    const message = `bad "doc" ✗ 日本 \\ ${"x".repeat(10_000)}`;
    const stack = `Error: ${message}\n    at a\n    at b`;
    await recordFailure(db.pool, failure(id, { final: true, message, stacktrace: stack }));
    const row = await ledgerRow(db.pool, id);
    expect(row.last_error).toBe(message);
    expect(row.stacktrace).toBe(stack);
  });
});
