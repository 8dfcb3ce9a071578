import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCorpus, type FaultName } from "@porter/legacy-sim";
import {
  createTestDatabase,
  createTestQueue,
  REDIS_URL,
  spawnPorter,
  startLegacySimProcess,
  waitFor,
  type PorterProcess,
  type TestDatabase,
  type TestQueue,
} from "@porter/testing";
import { diffTarget, expectedOutcome } from "./corpus-check.js";
import { get, logLines, metricsPortOf, scrape, valueOf, waitForLog } from "./worker-http.js";

// SIGTERM with real processes: a worker stops taking jobs, finishes the ones
// in flight within SHUTDOWN_GRACE_MS and exits 0, while the run goes on with
// the other worker and ends with every document exactly once. When the grace
// period runs out, or a second signal comes, the worker exits at once and
// the jobs it held are taken back by another worker.

const DOCS = 3_000;
const SEED = 11;
const FAULTS: Partial<Record<FaultName, number>> = { slow: 0.05 };
const GRACE_MS = 15_000;

interface Summary {
  runId: string;
  status: string;
  listed: number;
  succeeded: number;
  failed: number;
}

describe("graceful shutdown", () => {
  let db: TestDatabase;
  const queues: TestQueue[] = [];
  const processes: PorterProcess[] = [];
  const corpus = createCorpus({ docs: DOCS, seed: SEED, faults: FAULTS });
  const expected = expectedOutcome(corpus);

  const start = (args: string[], env: Record<string, string>) => {
    const p = spawnPorter(args, env);
    processes.push(p);
    return p;
  };
  const newQueue = () => {
    const q = createTestQueue("porter_shutdown");
    queues.push(q);
    return q;
  };
  const sim = async (args: string[]) => {
    const started = await startLegacySimProcess(args);
    processes.push(started.process);
    return started.url;
  };

  /** Ids of the jobs whose BullMQ lock belongs to the worker `workerId` (lock tokens are `<workerId>:<n>`). */
  async function locksHeldBy(queue: TestQueue, workerId: string): Promise<string[]> {
    const active = await queue.redis.lrange(`${queue.prefix}:imports:active`, 0, -1);
    if (active.length === 0) return [];
    const tokens = await queue.redis.mget(active.map((id) => `${queue.prefix}:imports:${id}:lock`));
    return active.filter((_, i) => tokens[i]?.startsWith(`${workerId}:`));
  }

  async function ledgerCount(runId: string, status: string): Promise<number> {
    const { rows } = await db.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM service_imports WHERE run_id = $1 AND status = $2",
      [runId, status],
    );
    return rows[0]?.n ?? 0;
  }

  beforeAll(async () => {
    db = await createTestDatabase("porter_shutdown");
  });

  afterAll(async () => {
    await Promise.allSettled(processes.map((p) => p.stop("SIGKILL")));
    await Promise.allSettled(queues.map((q) => q.drop()));
    await db?.drop();
  });

  it("SIGTERM mid-run: the worker finishes its in-flight jobs, exits 0 within the grace period, and the run loses and duplicates nothing", async () => {
    const queue = newQueue();
    const args = ["--docs", String(DOCS), "--seed", String(SEED)];
    for (const [name, rate] of Object.entries(FAULTS)) args.push(`--${name}`, String(rate));
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL,
      QUEUE_PREFIX: queue.prefix,
      LEGACY_URL: await sim(args),
      WORKER_CONCURRENCY: "20",
      JOB_TIMEOUT_MS: "10000",
      JOB_ATTEMPTS: "5",
      BACKOFF_BASE_MS: "200",
      // A job left behind would stay locked this long: the lock check below would see it.
      STALLED_INTERVAL_MS: "30000",
      SHUTDOWN_GRACE_MS: String(GRACE_MS),
      LIST_PAGE_SIZE: "200",
      QUEUE_HIGH_WATER: "1000",
      METRICS_PORT: "0",
      LOG_LEVEL: "info",
    };
    const victim = start(["worker"], env);
    const survivor = start(["worker"], env);
    const victimId = (await waitForLog(victim, "worker started")).workerId as string;
    await waitForLog(survivor, "worker started");
    const victimPort = await metricsPortOf(victim);

    const enqueuer = start(["run", "--follow", "--json"], env);
    const runId = await waitFor("the run to start", () => /run ([0-9a-f-]{36}) started/.exec(enqueuer.stderr())?.[1]);
    await waitFor(
      "a quarter of the run done, with the victim holding jobs",
      async () =>
        (await ledgerCount(runId, "succeeded")) >= DOCS / 4 &&
        (valueOf(await scrape(victimPort), "porter_jobs_in_flight") ?? 0) > 0 &&
        (await locksHeldBy(queue, victimId)).length > 0,
      { timeoutMs: 120_000, intervalMs: 20 },
    );

    const signalled = performance.now();
    victim.child.kill("SIGTERM");
    const code = await victim.exited;
    const tookMs = performance.now() - signalled;
    expect(code, victim.stdout() + victim.stderr()).toBe(0);
    expect(tookMs).toBeLessThan(GRACE_MS);

    const lines = logLines(victim.stdout());
    const stopping = lines.find((l) => l.msg === "stopping: finishing in-flight jobs");
    expect(stopping).toMatchObject({ signal: "SIGTERM", graceMs: GRACE_MS });
    expect(stopping?.inFlight).toBeGreaterThan(0);
    expect(lines.some((l) => l.msg === "stopped")).toBe(true);
    console.info(`SIGTERM with ${String(stopping?.inFlight)} jobs in flight: exited 0 after ${Math.round(tookMs)} ms (grace ${GRACE_MS} ms)`);
    expect(lines.some((l) => typeof l.msg === "string" && l.msg.startsWith("grace period over"))).toBe(false);
    // Nothing was left behind locked: every job it held was finished and released.
    expect(await locksHeldBy(queue, victimId)).toEqual([]);

    expect(await enqueuer.exited, enqueuer.stderr()).toBe(0);
    const summary = JSON.parse(enqueuer.stdout().trim()) as Summary;
    expect(summary).toMatchObject({ runId, status: "completed", listed: DOCS, succeeded: DOCS, failed: 0 });
    // Exactly once: one ledger row per document, each succeeded at its first attempt
    // (an attempt cut short would have been retried), one target row each, equal to the source.
    const { rows } = await db.pool.query<{ status: string; attempts: number; n: number }>(
      "SELECT status, attempts, count(*)::int AS n FROM service_imports WHERE run_id = $1 GROUP BY status, attempts",
      [runId],
    );
    expect(rows).toEqual([{ status: "succeeded", attempts: 1, n: DOCS }]);
    expect(await diffTarget(db.pool, corpus, expected)).toEqual([]);
    const { rows: docs } = await db.pool.query<{ n: number; runs: number }>(
      "SELECT count(*)::int AS n, count(DISTINCT run_id)::int AS runs FROM documents",
    );
    expect(docs[0]).toEqual({ n: DOCS, runs: 1 });

    expect(await survivor.stop("SIGTERM")).toBe(0);
  }, 300_000);

  /**
   * A worker whose every job hangs (the legacy service never answers the first request of an id),
   * with `inFlight` documents in flight: a job of one document each, or one per chunk.
   */
  async function hungWorker(env: Record<string, string>, jobs: number, inFlight = jobs) {
    const worker = start(["worker"], env);
    const workerId = (await waitForLog(worker, "worker started")).workerId as string;
    const port = await metricsPortOf(worker);
    const enqueuer = start(["run", "--limit", String(jobs), "--follow", "--json"], env);
    const runId = await waitFor("the run to start", () => /run ([0-9a-f-]{36}) started/.exec(enqueuer.stderr())?.[1]);
    await waitFor("every job in flight", async () => valueOf(await scrape(port), "porter_jobs_in_flight") === inFlight, { timeoutMs: 60_000 });
    return { worker, workerId, port, enqueuer, runId };
  }

  it("a second signal exits at once, with jobs still in flight", async () => {
    const queue = newQueue();
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL,
      QUEUE_PREFIX: queue.prefix,
      LEGACY_URL: await sim(["--docs", "20", "--hang", "1"]),
      WORKER_CONCURRENCY: "5",
      // A job per document: five jobs in flight, each holding its lock.
      JOB_DOCUMENTS: "1",
      JOB_TIMEOUT_MS: "120000",
      SHUTDOWN_GRACE_MS: "120000",
      METRICS_PORT: "0",
      LOG_LEVEL: "info",
    };
    const { worker, workerId, port } = await hungWorker(env, 5);

    worker.child.kill("SIGTERM");
    await waitForLog(worker, "stopping: finishing in-flight jobs");
    // Draining: not ready for traffic, still waiting for its five jobs.
    const ready = await get(port, "/readyz");
    expect([ready.status, JSON.parse(ready.body)]).toEqual([503, { status: "stopping" }]);
    expect(worker.child.exitCode).toBeNull();
    expect(await locksHeldBy(queue, workerId)).toHaveLength(5);

    const signalled = performance.now();
    worker.child.kill("SIGTERM");
    expect(await worker.exited).toBe(1);
    expect(performance.now() - signalled).toBeLessThan(5_000);
    expect(logLines(worker.stdout()).some((l) => l.msg === "second signal: exiting now" && l.level === 40)).toBe(true);
  }, 120_000);

  it("when the grace period runs out it exits at once, and another worker takes its chunk back and finishes it", async () => {
    const queue = newQueue();
    const graceMs = 2_000;
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL,
      QUEUE_PREFIX: queue.prefix,
      LEGACY_URL: await sim(["--docs", "20", "--hang", "1"]),
      WORKER_CONCURRENCY: "5",
      JOB_TIMEOUT_MS: "120000",
      SHUTDOWN_GRACE_MS: String(graceMs),
      STALLED_INTERVAL_MS: "2000",
      BACKOFF_BASE_MS: "100",
      METRICS_PORT: "0",
      LOG_LEVEL: "info",
    };
    // The five documents are one chunk job, attempted one after the other: one in flight.
    const { worker, workerId, enqueuer, runId } = await hungWorker(env, 5, 1);

    const signalled = performance.now();
    worker.child.kill("SIGTERM");
    expect(await worker.exited).toBe(1);
    const tookMs = performance.now() - signalled;
    expect(tookMs).toBeGreaterThanOrEqual(graceMs - 50);
    expect(tookMs).toBeLessThan(graceMs + 8_000);
    const over = logLines(worker.stdout()).find((l) => typeof l.msg === "string" && l.msg.startsWith("grace period over"));
    expect(over).toMatchObject({ level: 40, inFlight: 1 });
    // Its chunk is still active, under its lapsing lock.
    expect(await locksHeldBy(queue, workerId)).toHaveLength(1);

    // A worker whose hung requests time out quickly takes them back once the locks lapse.
    start(["worker"], { ...env, JOB_TIMEOUT_MS: "1500" });
    expect(await enqueuer.exited, enqueuer.stderr()).toBe(0);
    const summary = JSON.parse(enqueuer.stdout().trim()) as Summary;
    expect(summary).toMatchObject({ runId, status: "completed", listed: 5, succeeded: 5, failed: 0 });
    expect(await ledgerCount(runId, "succeeded")).toBe(5);
  }, 180_000);
});
