import { describe, expect, it } from "vitest";
import { BACKOFF_TYPE, CHUNK_JOB_NAME, firstAttemptJobs, importJob, IMPORT_JOB_NAME, retryJob } from "../src/index.js";

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

describe("firstAttemptJobs", () => {
  const rows = ["1", "2", "3", "4", "5"].map((id) => ({ id, runId: "run-1", legacyId: `doc-${id}`, updatedAt: id === "1" ? "2024-05-01T00:00:00Z" : null }));

  it("one per row when a job is one document", () => {
    expect(firstAttemptJobs("run-1", rows, 1, { attempts: 3 })).toEqual(rows.map((r) => importJob(r, { attempts: 3 })));
  });

  it("chunks of the given size in listing order, each named after its first row, with the job options", () => {
    const jobs = firstAttemptJobs("run-1", rows, 2, { attempts: 3 });
    expect(jobs.map((j) => [j.name, j.opts.jobId])).toEqual([
      [CHUNK_JOB_NAME, "chunk-1"],
      [CHUNK_JOB_NAME, "chunk-3"],
      [CHUNK_JOB_NAME, "chunk-5"],
    ]);
    expect(jobs[0]).toEqual({
      name: CHUNK_JOB_NAME,
      data: {
        runId: "run-1",
        documents: [
          { id: "1", legacyId: "doc-1", updatedAt: "2024-05-01T00:00:00Z" },
          { id: "2", legacyId: "doc-2", updatedAt: null },
        ],
      },
      opts: { jobId: "chunk-1", attempts: 3, backoff: { type: BACKOFF_TYPE }, removeOnComplete: true, removeOnFail: { count: 5_000 } },
    });
  });
});

describe("retryJob", () => {
  it("is the row's own job, delayed, with the attempts left and the ones made", () => {
    const job = retryJob({ id: "7", runId: "run-1", legacyId: "doc-7" }, 1, 1_500, { attempts: 5 });
    expect(job).toEqual({
      name: IMPORT_JOB_NAME,
      data: { runId: "run-1", legacyId: "doc-7", updatedAt: null, priorAttempts: 1 },
      opts: { jobId: "7", attempts: 4, delay: 1_500, backoff: { type: BACKOFF_TYPE }, removeOnComplete: true, removeOnFail: { count: 5_000 } },
    });
  });
});
