import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Queue, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { createTestQueue, REDIS_URL, waitFor, type TestQueue } from "@porter/testing";
import { BACKOFF_TYPE, backoffDelay, createRedis } from "../src/index.js";

const BASE_MS = 50;
const ATTEMPTS = 4;
// Timer and clock slack between the delay BullMQ computes and the next start we observe.
const TOLERANCE_MS = 5;

let tq: TestQueue;
let connection: Redis;
let queue: Queue;
let worker: Worker;
const starts = new Map<string, number[]>();
const delays = new Map<string, number[]>();
const types = new Set<string | undefined>();

beforeAll(async () => {
  tq = createTestQueue("porter_qbackoff");
  connection = createRedis(REDIS_URL, { role: "worker" });
  queue = new Queue("backoff-test", { connection, prefix: tq.prefix });
  worker = new Worker(
    "backoff-test",
    async (job: Job) => {
      const list = starts.get(job.id as string) ?? [];
      list.push(Date.now());
      starts.set(job.id as string, list);
      throw new Error(`attempt ${job.attemptsMade + 1} fails`);
    },
    {
      connection,
      prefix: tq.prefix,
      concurrency: 4,
      settings: {
        backoffStrategy: (attemptsMade: number, type?: string, _err?: Error, job?: { id?: string }) => {
          types.add(type);
          const delay = backoffDelay(attemptsMade, BASE_MS);
          const id = job?.id as string;
          delays.set(id, [...(delays.get(id) ?? []), delay]);
          return delay;
        },
      },
    },
  );
  await worker.waitUntilReady();
});

afterAll(async () => {
  await worker?.close();
  await queue?.close();
  await connection?.quit();
  await tq?.drop();
});

describe("a BullMQ worker with the porter backoff strategy", () => {
  it("retries with growing gaps and fails the job after its last attempt", async () => {
    const ids = ["j1", "j2"];
    for (const jobId of ids) {
      await queue.add("always-fails", { n: jobId }, { jobId, attempts: ATTEMPTS, backoff: { type: BACKOFF_TYPE } });
    }

    for (const id of ids) {
      const job = await waitFor(
        `job ${id} to fail for good`,
        async () => {
          const j = await queue.getJob(id);
          // Read the state and the count together: under load a poll can land
          // between BullMQ's writes of the two.
          return j && j.attemptsMade === ATTEMPTS && (await j.getState()) === "failed" ? j : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 20 },
      );
      expect(job.attemptsMade).toBe(ATTEMPTS);
      expect(job.failedReason).toBe(`attempt ${ATTEMPTS} fails`);

      const times = starts.get(id) ?? [];
      expect(times).toHaveLength(ATTEMPTS);
      const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
      const chosen = delays.get(id) ?? [];
      expect(chosen).toHaveLength(ATTEMPTS - 1);

      gaps.forEach((gap, i) => {
        const n = i + 1; // the retry after attempt n
        const full = BASE_MS * 2 ** (n - 1);
        // the strategy chose within its jitter bounds ...
        expect(chosen[i]).toBeGreaterThanOrEqual(full / 2);
        expect(chosen[i]).toBeLessThanOrEqual(full);
        // ... and BullMQ waited at least that long
        expect(gap).toBeGreaterThanOrEqual((chosen[i] as number) - TOLERANCE_MS);
        expect(gap).toBeGreaterThanOrEqual(full / 2 - TOLERANCE_MS);
        // without waiting absurdly longer (a generous bound: BullMQ promotes delayed jobs itself)
        expect(gap).toBeLessThan(full + 2_000);
      });
      // exponential: the third gap's floor (100 ms) is above the first gap's ceiling (50 ms)
      expect(gaps[2] as number).toBeGreaterThan(gaps[0] as number);
    }
    expect([...types]).toEqual([BACKOFF_TYPE]);
  });
});
