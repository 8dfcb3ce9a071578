import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { createTestQueue, REDIS_URL, waitFor, type TestQueue } from "@porter/testing";
import {
  addLedgerJobs,
  createImportQueue,
  createRedis,
  jobPresence,
  QUEUE_NAME,
  RedisLease,
  removeRunJobs,
  type ImportQueue,
  type LedgerJob,
} from "../src/index.js";

let tq: TestQueue;
let connection: Redis;
let queue: ImportQueue;

beforeAll(async () => {
  tq = createTestQueue("porter_qledger");
  connection = createRedis(REDIS_URL, { role: "producer" });
  queue = createImportQueue(connection, tq.prefix);
});

afterAll(async () => {
  await queue?.close();
  await connection?.quit();
  await tq?.drop();
});

const rows = (runId: string, n: number): LedgerJob[] =>
  Array.from({ length: n }, (_, i) => ({ id: randomUUID(), runId, legacyId: `doc-${i}` }));

/** Runs a worker that fails every job for good until `until` holds. */
async function failAll(until: () => Promise<boolean>): Promise<void> {
  const workerConnection = createRedis(REDIS_URL, { role: "worker" });
  const worker = new Worker(QUEUE_NAME, async () => Promise.reject(new UnrecoverableError("not_found")), {
    connection: workerConnection,
    prefix: tq.prefix,
  });
  try {
    await waitFor("the jobs to fail", until, { timeoutMs: 10_000, intervalMs: 20 });
  } finally {
    await worker.close();
    await workerConnection.quit();
  }
}

describe("addLedgerJobs and jobPresence", () => {
  it("adds a job per row once, and replaces a failed job instead of being swallowed by it", async () => {
    const runId = randomUUID();
    const [a, b] = rows(runId, 2) as [LedgerJob, LedgerJob];
    await addLedgerJobs(queue, connection, [a, b], { attempts: 3 });
    await addLedgerJobs(queue, connection, [a], { attempts: 3 }); // again: nothing new
    expect(await queue.getJobCounts("waiting")).toMatchObject({ waiting: 2 });
    expect(await queue.getJob(a.id)).toMatchObject({ data: { runId, legacyId: a.legacyId }, opts: { attempts: 3 } });

    await failAll(async () => (await queue.getJobCounts("failed")).failed === 2);
    const unknown = randomUUID();
    expect(await jobPresence(queue, connection, [a.id, unknown])).toEqual(
      new Map([
        [a.id, "failed"],
        [unknown, "missing"],
      ]),
    );

    // A plain add would be ignored (the id exists, failed); addLedgerJobs removes the failed job first.
    const result = await addLedgerJobs(queue, connection, [a], { attempts: 3 });
    expect(result).toEqual({ queued: 1, replaced: 1 });
    expect(await queue.getJobState(a.id)).toBe("waiting");
    expect((await queue.getJob(a.id))?.attemptsMade).toBe(0);
    expect(await jobPresence(queue, connection, [a.id, b.id])).toEqual(
      new Map([
        [a.id, "present"],
        [b.id, "failed"],
      ]),
    );
    await queue.obliterate({ force: true });
  });

  it("treats the remains of a job deleted under a worker (a hash without data) as missing, and replaces them", async () => {
    const [a] = rows(randomUUID(), 1) as [LedgerJob];
    await connection.hset(queue.toKey(a.id), "processedOn", Date.now(), "ats", 1);
    expect((await jobPresence(queue, connection, [a.id])).get(a.id)).toBe("missing");
    expect(await addLedgerJobs(queue, connection, [a], { attempts: 2 })).toEqual({ queued: 1, replaced: 1 });
    expect(await queue.getJob(a.id)).toMatchObject({ data: { legacyId: a.legacyId } });
    expect((await jobPresence(queue, connection, [a.id])).get(a.id)).toBe("present");
    await queue.obliterate({ force: true });
  });
});

describe("removeRunJobs", () => {
  it("removes the waiting, delayed and failed jobs of one run and leaves the others", async () => {
    const mine = randomUUID();
    const other = randomUUID();
    const [failed, ...waiting] = rows(mine, 4) as [LedgerJob, ...LedgerJob[]];
    await addLedgerJobs(queue, connection, [failed], { attempts: 1 });
    await failAll(async () => (await queue.getJobCounts("failed")).failed === 1);
    await addLedgerJobs(queue, connection, waiting, { attempts: 1 });
    const delayed = rows(mine, 1)[0] as LedgerJob;
    await queue.add("import", { runId: mine, legacyId: delayed.legacyId }, { jobId: delayed.id, delay: 60_000 });
    const theirs = rows(other, 3);
    await addLedgerJobs(queue, connection, theirs, { attempts: 1 });

    expect(await removeRunJobs(queue, connection, mine)).toEqual({ removed: 5, active: 0 });
    for (const job of [failed, delayed, ...waiting]) expect(await queue.getJobState(job.id)).toBe("unknown");
    for (const job of theirs) expect(await queue.getJobState(job.id)).toBe("waiting");
    expect(await removeRunJobs(queue, connection, mine)).toEqual({ removed: 0, active: 0 });
    await queue.obliterate({ force: true });
  });
});

describe("RedisLease", () => {
  it("has one holder at a time, is renewed by it, and passes on when released or expired", async () => {
    const key = `${tq.prefix}:test:lease`;
    const first = new RedisLease(connection, key, 300);
    const second = new RedisLease(connection, key, 300);
    expect(await first.acquire()).toBe(true);
    expect(await second.acquire()).toBe(false);
    expect(await first.acquire()).toBe(true); // renewal
    await first.release();
    expect(await second.acquire()).toBe(true);
    expect(await first.acquire()).toBe(false);
    await second.release();
    await first.release(); // not the holder: nothing happens
    expect(await first.acquire()).toBe(true);
    // The holder stops renewing (it died): the lease expires and another takes it.
    await waitFor("the lease to expire", async () => (await second.acquire()) || undefined, { timeoutMs: 5_000, intervalMs: 50 });
    expect(await first.acquire()).toBe(false);
  });
});
