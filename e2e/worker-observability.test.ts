import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCorpus, type FaultName } from "@porter/legacy-sim";
import { freePort, REDIS_URL, runPorter, waitFor, type TestDatabase } from "@porter/testing";
import { expectedOutcome } from "./corpus-check.js";
import { openScenario, type Scenario } from "./scenario.js";
import { get, metricsPortOf, scrape, valueOf, waitForLog } from "./worker-http.js";

// A real `porter worker` with METRICS_PORT=0 (any free port, logged):
// /healthz, /readyz and /metrics answer, and after a run the metrics agree
// with the ledger. /readyz says 503, naming the culprit, when Postgres or
// Redis cannot be reached (a port where nothing listens, not the shared ones).

const DOCS = 80;
const SEED = 5;
const FAULTS: Partial<Record<FaultName, number>> = { "not-found": 0.1, "server-error": 0.1 };

interface Readiness {
  status: string;
  checks: Record<string, { ok: boolean; ms: number; error?: string }>;
}

describe("worker metrics and health endpoints", () => {
  let scenario: Scenario | undefined;
  let db: TestDatabase;
  let env: Record<string, string>;
  const expected = expectedOutcome(createCorpus({ docs: DOCS, seed: SEED, faults: FAULTS }));

  const start = (args: string[], extra: Record<string, string> = {}) => (scenario as Scenario).spawn(args, extra);

  beforeAll(async () => {
    scenario = await openScenario({
      name: "porter_obs",
      docs: DOCS,
      seed: SEED,
      faults: FAULTS,
      env: (d, q, url) => ({
        DATABASE_URL: d.url,
        REDIS_URL,
        QUEUE_PREFIX: q.prefix,
        LEGACY_URL: url,
        WORKER_CONCURRENCY: "4",
        JOB_TIMEOUT_MS: "5000",
        JOB_ATTEMPTS: "5",
        BACKOFF_BASE_MS: "50",
        METRICS_PORT: "0",
        LOG_LEVEL: "info",
      }),
    });
    ({ db, env } = scenario);
  });

  afterAll(() => scenario?.close());

  it("answers /healthz and /readyz, and /metrics agrees with the ledger after a run", async () => {
    expect(expected.failed.size).toBeGreaterThan(0);
    const worker = start(["worker"]);
    const port = await metricsPortOf(worker);
    await waitForLog(worker, "worker started");

    const health = await get(port, "/healthz");
    expect([health.status, JSON.parse(health.body)]).toEqual([200, { status: "ok" }]);
    const ready = await get(port, "/readyz");
    expect(ready.status).toBe(200);
    expect(ready.contentType).toContain("application/json");
    const readiness = JSON.parse(ready.body) as Readiness;
    expect(readiness.status).toBe("ready");
    expect(readiness.checks).toMatchObject({ redis: { ok: true }, postgres: { ok: true } });
    expect((await get(port, "/nothing-here")).status).toBe(404);

    const before = await scrape(port);
    expect(valueOf(before, "porter_jobs_in_flight")).toBe(0);
    expect(valueOf(before, "porter_queue_jobs", { state: "waiting" })).toBe(0);
    // Node's default metrics are there too.
    expect(valueOf(before, "process_cpu_user_seconds_total")).toBeGreaterThan(0);
    expect(before.some((s) => s.name === "nodejs_eventloop_lag_seconds")).toBe(true);

    const run = await runPorter(["run", "--follow", "--json"], env);
    expect(run.code, run.stderr).toBe(3); // finished, with the not-found documents failed
    const summary = JSON.parse(run.stdout.trim()) as { runId: string; succeeded: number; failed: number };
    expect([summary.succeeded, summary.failed]).toEqual([expected.succeeded.size, expected.failed.size]);

    const { rows } = await db.pool.query<{ status: string; attempts: number; error_kind: string | null }>(
      "SELECT status, attempts, error_kind FROM service_imports WHERE run_id = $1",
      [summary.runId],
    );
    const succeeded = rows.filter((r) => r.status === "succeeded").length;
    const notFound = rows.filter((r) => r.status === "failed" && r.error_kind === "not_found").length;
    const attempts = rows.reduce((sum, r) => sum + r.attempts, 0);
    expect(notFound).toBe(expected.failed.size);
    expect(attempts).toBeGreaterThan(DOCS); // the 5xx documents were retried

    // A document that fails in a chunk's attempt (a 404 at once) leaves no
    // failed job: only one that failed in a job of its own does (none here,
    // the 5xx documents succeed on a retry).
    const failedJobs = rows.filter((r) => r.status === "failed" && r.attempts > 1).length;
    // The worker counts a document when its attempt returns, BullMQ moves a
    // failed job a moment later: wait for both to settle, then compare.
    const metrics = await waitFor(
      "the metrics to count every document",
      async () => {
        const m = await scrape(port);
        const done =
          valueOf(m, "porter_documents_finished_total", { status: "succeeded" }) === succeeded &&
          valueOf(m, "porter_queue_jobs", { state: "failed" }) === failedJobs;
        return done ? m : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(valueOf(metrics, "porter_documents_finished_total", { status: "failed", kind: "not_found" })).toBe(notFound);
    expect(metrics.filter((s) => s.name === "porter_documents_finished_total").map((s) => s.labels)).toHaveLength(2);
    expect(valueOf(metrics, "porter_attempt_failures_total", { kind: "not_found", stage: "fetch" })).toBe(notFound);
    expect(valueOf(metrics, "porter_attempt_failures_total", { kind: "http_5xx", stage: "fetch" })).toBe(attempts - succeeded - notFound);
    // Every attempt fetched; only the ones whose fetch succeeded went on to extract and load.
    expect(valueOf(metrics, "porter_attempt_duration_seconds_count", { stage: "fetch" })).toBe(attempts);
    expect(valueOf(metrics, "porter_attempt_duration_seconds_count", { stage: "extract" })).toBe(succeeded);
    expect(valueOf(metrics, "porter_attempt_duration_seconds_count", { stage: "load" })).toBe(succeeded);
    expect(valueOf(metrics, "porter_attempt_duration_seconds_bucket", { stage: "fetch", le: "+Inf" })).toBe(attempts);
    expect(valueOf(metrics, "porter_attempt_duration_seconds_sum", { stage: "load" })).toBeGreaterThan(0);
    expect(valueOf(metrics, "porter_jobs_in_flight")).toBe(0);
    for (const state of ["waiting", "prioritized", "delayed", "active"]) {
      expect(valueOf(metrics, "porter_queue_jobs", { state }), state).toBe(0);
    }
  }, 180_000);

  it("answers /readyz 503 naming Postgres when it cannot be reached, and stays alive", async () => {
    const closed = await freePort();
    const worker = start(["worker"], { DATABASE_URL: `postgres://postgres@127.0.0.1:${closed}/nowhere` });
    const port = await metricsPortOf(worker);
    const ready = await get(port, "/readyz");
    expect(ready.status).toBe(503);
    const body = JSON.parse(ready.body) as Readiness;
    expect(body.status).toBe("unready");
    expect(body.checks.redis).toMatchObject({ ok: true });
    expect(body.checks.postgres).toMatchObject({ ok: false, error: expect.stringContaining("ECONNREFUSED") });
    expect((await get(port, "/healthz")).status).toBe(200);
  }, 60_000);

  it("answers /readyz 503 naming Redis when it cannot be reached", async () => {
    const closed = await freePort();
    const worker = start(["worker"], { REDIS_URL: `redis://127.0.0.1:${closed}` });
    const port = await metricsPortOf(worker);
    const ready = await get(port, "/readyz");
    expect(ready.status).toBe(503);
    const body = JSON.parse(ready.body) as Readiness;
    expect(body.checks.postgres).toMatchObject({ ok: true });
    expect(body.checks.redis?.ok).toBe(false);
    expect(body.checks.redis?.error).toBeTruthy();
    // A scrape still answers, without the queue counts it cannot read.
    const metrics = await scrape(port);
    expect(valueOf(metrics, "porter_jobs_in_flight")).toBe(0);
    expect(metrics.some((s) => s.name === "porter_queue_jobs")).toBe(false);
    // Never having reached Redis, it still stops at once on SIGTERM.
    expect(await worker.stop("SIGTERM", 10_000)).toBe(0);
  }, 60_000);

  it("runs on without the endpoints, with a warning, when its METRICS_PORT is taken", async () => {
    const first = start(["worker"]);
    const taken = await metricsPortOf(first);
    const second = start(["worker"], { METRICS_PORT: String(taken) });
    const warning = await waitForLog(second, "cannot serve metrics and health on port");
    expect(warning).toMatchObject({ level: 40, metricsPort: taken });
    await waitForLog(second, "worker started");
    expect(second.child.exitCode).toBeNull();
  }, 60_000);

  it("exits 0 on SIGTERM and closes its port", async () => {
    const worker = start(["worker"]);
    const port = await metricsPortOf(worker);
    await waitForLog(worker, "worker started");
    expect((await get(port, "/readyz")).status).toBe(200);
    expect(await worker.stop("SIGTERM")).toBe(0);
    expect(worker.stdout()).toContain('"msg":"stopped"');
    await expect(get(port, "/healthz")).rejects.toThrow();
  }, 60_000);
});
