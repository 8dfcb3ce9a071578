import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Redis } from "ioredis";
import { createImportQueue, createRedis, importJobOptions, type ImportQueue } from "@porter/queue";
import { createTestQueue, REDIS_URL, waitFor, type TestQueue } from "@porter/testing";
import { Demand } from "../src/demand.js";

const SOON: [number, number] = [20, 40];
const LATER: [number, number] = [100, 150];
// timers may fire a millisecond early against Date.now()
const SLACK_MS = 3;

let tq: TestQueue;
let connection: Redis;
let queue: ImportQueue;

beforeAll(() => {
  tq = createTestQueue("porter_demand");
  connection = createRedis(REDIS_URL, { role: "producer" });
  queue = createImportQueue(connection, tq.prefix);
});

beforeEach(async () => {
  await queue.drain(true);
});

afterAll(async () => {
  await queue?.close();
  await connection?.quit();
  await tq?.drop();
});

async function addJobs(n: number, from = 0, delayed = false): Promise<string[]> {
  const ids = Array.from({ length: n }, (_, i) => `job-${from + i}`);
  await queue.addBulk(
    ids.map((id) => ({
      name: "import",
      data: { runId: "r", legacyId: id },
      opts: { ...importJobOptions(id, { attempts: 1 }), ...(delayed ? { delay: 60_000 } : {}) },
    })),
  );
  return ids;
}

async function removeJobs(ids: string[]): Promise<void> {
  for (const id of ids) await queue.remove(id);
}

/** A Demand whose waits are counted: `random` is called once per wait, and always picks the minimum. */
function countedDemand(highWater: number): { demand: Demand; waits: number[] } {
  const waits: number[] = [];
  const demand = new Demand(queue, {
    highWater,
    soonMs: SOON,
    laterMs: LATER,
    random: () => {
      waits.push(Date.now());
      return 0;
    },
  });
  return { demand, waits };
}

describe("Demand.room", () => {
  it("returns highWater − depth when the queue is below its mark, without waiting", async () => {
    await addJobs(3);
    await addJobs(2, 100, true); // delayed jobs count too
    const { demand, waits } = countedDemand(10);
    expect(await demand.room()).toBe(5);
    expect(waits).toEqual([]);
    expect(await countedDemand(6).demand.room()).toBe(1);
  });

  it("gives the whole mark for an empty queue", async () => {
    expect(await countedDemand(7).demand.room()).toBe(7);
  });

  it("at the mark it polls again: soon after a met demand, later while none is met, then returns the room", async () => {
    const ids = await addJobs(4);
    const { demand, waits } = countedDemand(4);
    const room = demand.room();

    // several polls find no room
    await waitFor("three waits", () => waits.length >= 3, { timeoutMs: 5_000, intervalMs: 5 });
    // room opens: three jobs go
    await removeJobs(ids.slice(0, 3));
    expect(await room).toBe(3);

    const gaps = waits.slice(1).map((t, i) => t - (waits[i] as number));
    // first wait: SOON (the last poll, before this call, met demand) ...
    expect(gaps[0]).toBeGreaterThanOrEqual(SOON[0] - SLACK_MS);
    expect(gaps[0]).toBeLessThan(LATER[0]);
    // ... then LATER while none is met
    for (const gap of gaps.slice(1)) expect(gap).toBeGreaterThanOrEqual(LATER[0] - SLACK_MS);
  });

  it("above the mark too: waits while depth > highWater, and polls one at a time", async () => {
    const ids = await addJobs(6);
    const { demand, waits } = countedDemand(3);
    const room = demand.room();
    await waitFor("two waits", () => waits.length >= 2, { timeoutMs: 5_000, intervalMs: 5 });
    await removeJobs(ids.slice(0, 2)); // depth 4: still above
    const before = waits.length;
    await waitFor("another wait after the partial drain", () => waits.length >= before + 1, { timeoutMs: 5_000, intervalMs: 5 });
    await removeJobs(ids.slice(2, 5)); // depth 1
    expect(await room).toBe(2);
    // one timer at a time: consecutive waits never overlap
    const gaps = waits.slice(1).map((t, i) => t - (waits[i] as number));
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(SOON[0] - SLACK_MS);
  });

  it("after demand was met again, the next full queue waits soon again", async () => {
    const ids = await addJobs(2);
    const { demand, waits } = countedDemand(2);
    const first = demand.room();
    await waitFor("two waits", () => waits.length >= 2, { timeoutMs: 5_000, intervalMs: 5 });
    await removeJobs(ids);
    expect(await first).toBe(2);

    await addJobs(2, 10);
    const mark = waits.length;
    const second = demand.room();
    await waitFor("two more waits", () => waits.length >= mark + 2, { timeoutMs: 5_000, intervalMs: 5 });
    const gap = (waits[mark + 1] as number) - (waits[mark] as number);
    expect(gap).toBeGreaterThanOrEqual(SOON[0] - SLACK_MS);
    expect(gap).toBeLessThan(LATER[0]);
    await queue.drain(true);
    expect(await second).toBe(2);
  });

  it("stops waiting when its signal aborts", async () => {
    await addJobs(1);
    const { demand, waits } = countedDemand(1);
    const controller = new AbortController();
    const room = demand.room(controller.signal);
    await waitFor("a wait", () => waits.length >= 1, { timeoutMs: 5_000, intervalMs: 5 });
    controller.abort();
    await expect(room).rejects.toMatchObject({ name: "AbortError" });
  });
});
