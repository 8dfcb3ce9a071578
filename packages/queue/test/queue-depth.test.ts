import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Worker } from "bullmq";
import type { Redis } from "ioredis";
import { createTestQueue, REDIS_URL, waitFor, type TestQueue } from "@porter/testing";
import {
  createImportQueue,
  createRedis,
  firstAttemptJobs,
  importJobOptions,
  queueDepth,
  queuedDocuments,
  QUEUE_NAME,
  type ImportQueue,
} from "../src/index.js";

let tq: TestQueue;
let connection: Redis;
let queue: ImportQueue;

beforeAll(() => {
  tq = createTestQueue("porter_qdepth");
  connection = createRedis(REDIS_URL, { role: "producer" });
  queue = createImportQueue(connection, tq.prefix);
});

afterAll(async () => {
  await queue?.close();
  await connection?.quit();
  await tq?.drop();
});

const data = (legacyId: string) => ({ runId: "00000000-0000-0000-0000-000000000000", legacyId });

describe("queueDepth", () => {
  it("is 0 for an empty queue", async () => {
    expect(await queueDepth(queue)).toBe(0);
  });

  it("counts waiting, delayed and prioritized jobs, and a repeated job id once", async () => {
    await queue.addBulk(["w1", "w2", "w3"].map((id) => ({ name: "import", data: data(id), opts: importJobOptions(id, { attempts: 3 }) })));
    await queue.add("import", data("d1"), { ...importJobOptions("d1", { attempts: 3 }), delay: 60_000 });
    await queue.add("import", data("d2"), { ...importJobOptions("d2", { attempts: 3 }), delay: 60_000 });
    await queue.add("import", data("p1"), { ...importJobOptions("p1", { attempts: 3 }), priority: 5 });
    // the same job id again adds nothing
    await queue.add("import", data("w1"), importJobOptions("w1", { attempts: 3 }));

    const counts = await queue.getJobCounts("waiting", "delayed", "prioritized");
    expect(counts).toEqual({ waiting: 3, delayed: 2, prioritized: 1 });
    expect(await queueDepth(queue)).toBe(6);
  });

  it("does not count jobs once they are taken or done", async () => {
    const workerConnection = createRedis(REDIS_URL, { role: "worker" });
    const worker = new Worker(QUEUE_NAME, async () => {}, { connection: workerConnection, prefix: tq.prefix });
    try {
      // the 4 ready jobs complete (and are removed); the 2 delayed ones stay
      await waitFor("the ready jobs to be processed", async () => ((await queueDepth(queue)) === 2 ? true : undefined), {
        timeoutMs: 10_000,
        intervalMs: 20,
      });
      const counts = await queue.getJobCounts("waiting", "delayed", "prioritized", "active", "completed");
      expect(counts).toEqual({ waiting: 0, delayed: 2, prioritized: 0, active: 0, completed: 0 });
    } finally {
      await worker.close();
      await workerConnection.quit();
    }
  });
});

describe("queuedDocuments", () => {
  it("counts a chunk job as JOB_DOCUMENTS documents and any other job as one, waiting, prioritized or delayed", async () => {
    const own = createTestQueue("porter_qdocs");
    const q = createImportQueue(connection, own.prefix);
    try {
      expect(await queuedDocuments(q, 25)).toBe(0);
      const rows = Array.from({ length: 60 }, (_, i) => ({ id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`, runId: "r", legacyId: `d${i}` }));
      await q.addBulk(firstAttemptJobs("r", rows, 25, { attempts: 3 })); // 25 + 25 + 10, counted as 3 × 25
      await q.add("import", data("retry"), { ...importJobOptions("retry", { attempts: 3 }), delay: 60_000 });
      await q.add("import", data("single"), importJobOptions("single", { attempts: 3 }));
      await q.add("import", data("prio"), { ...importJobOptions("prio", { attempts: 3 }), priority: 2 });
      expect(await queueDepth(q)).toBe(6);
      expect(await queuedDocuments(q, 25)).toBe(3 * 25 + 3);
    } finally {
      await q.obliterate({ force: true });
      await q.close();
      await own.drop();
    }
  });
});

describe("importJobOptions", () => {
  it("uses the ledger id as job id with the porter backoff", () => {
    expect(importJobOptions("ledger-1", { attempts: 7 })).toEqual({
      jobId: "ledger-1",
      attempts: 7,
      backoff: { type: "porter" },
      removeOnComplete: true,
      removeOnFail: { count: 5_000 },
    });
  });
});
