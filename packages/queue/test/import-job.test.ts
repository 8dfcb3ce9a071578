import { describe, expect, it } from "vitest";
import { BACKOFF_TYPE, importJob, IMPORT_JOB_NAME } from "../src/index.js";

describe("importJob", () => {
  it("builds the job of one ledger row: job id = ledger id, the run and legacy ids and the listed updatedAt as data", () => {
    // A ledger row as the ledger hands it over, with more than the job needs.
    const row = { id: "42", runId: "run-1", legacyId: "doc/ü", updatedAt: "2024-05-01T00:00:00Z", status: "pending", attempts: 0 };
    expect(importJob(row, { attempts: 5 })).toEqual({
      name: IMPORT_JOB_NAME,
      data: { runId: "run-1", legacyId: "doc/ü", updatedAt: "2024-05-01T00:00:00Z" },
      opts: { jobId: "42", attempts: 5, backoff: { type: BACKOFF_TYPE }, removeOnComplete: true, removeOnFail: { count: 5_000 } },
    });
  });
});
