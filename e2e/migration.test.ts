import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCorpus, type FaultName } from "@porter/legacy-sim";
import { REDIS_URL, runPorter, spawnPorter, waitFor, type PorterProcess, type TestDatabase } from "@porter/testing";
import { diffTarget, expectedOutcome } from "./corpus-check.js";
import { openScenario, type Scenario } from "./scenario.js";

// End to end with real processes: a simulator with every fault of the
// contract, an enqueuer (`porter run --follow --json`) and two workers.
const DOCS = 5_000;
const SEED = 7;
const FAULTS: Partial<Record<FaultName, number>> = {
  "rate-limit": 0.01,
  "server-error": 0.02,
  reset: 0.01,
  hang: 0.004,
  slow: 0.01,
  "not-found": 0.006,
  "missing-tag": 0.004,
  "bad-json": 0.004,
  "bad-shape": 0.004,
  "too-large": 0.001,
  duplicate: 0.02,
  "empty-page": 0.05,
};
const TOO_LARGE_BYTES = 9 * 1024 * 1024;

interface Summary {
  runId: string;
  status: string;
  listed: number;
  succeeded: number;
  failed: number;
  durationMs: number;
  docsPerSecond: number;
}

describe("a migration with real processes", () => {
  let scenario: Scenario | undefined;
  let db: TestDatabase;
  let env: Record<string, string>;
  const workers: PorterProcess[] = [];
  const corpus = createCorpus({ docs: DOCS, seed: SEED, faults: FAULTS, tooLargeBytes: TOO_LARGE_BYTES });
  const expected = expectedOutcome(corpus);

  const startWorker = () => {
    const worker = (scenario as Scenario).spawn(["worker"]);
    workers.push(worker);
    return worker;
  };

  beforeAll(async () => {
    scenario = await openScenario({
      name: "porter_e2e",
      docs: DOCS,
      seed: SEED,
      faults: FAULTS,
      simArgs: ["--too-large-bytes", String(TOO_LARGE_BYTES)],
      env: (d, q, url) => ({
        DATABASE_URL: d.url,
        REDIS_URL,
        QUEUE_PREFIX: q.prefix,
        LEGACY_URL: url,
        WORKER_CONCURRENCY: "20",
        JOB_TIMEOUT_MS: "2000",
        JOB_ATTEMPTS: "5",
        BACKOFF_BASE_MS: "200",
        STALLED_INTERVAL_MS: "3000",
        MAX_PAGE_BYTES: String(8 * 1024 * 1024),
        LIST_PAGE_SIZE: "200",
        QUEUE_HIGH_WATER: "1000",
        SHUTDOWN_GRACE_MS: "5000",
      }),
    });
    ({ db, env } = scenario);
  });

  afterAll(() => scenario?.close());

  it("migrates every good document exactly once, equal to the source, and fails each bad one once with its kind", async () => {
    startWorker();
    startWorker();
    const run = await runPorter(["run", "--follow", "--json"], env);
    expect(run.code, run.stderr).toBe(3); // finished, with failed documents
    const summary = JSON.parse(run.stdout.trim()) as Summary;
    expect(summary.status).toBe("completed");
    expect(summary.listed).toBe(DOCS);
    expect(summary.docsPerSecond).toBeGreaterThan(0);

    // The ledger agrees with the summary, and each permanent failure failed
    // after exactly one attempt with the right kind and stage.
    const { rows } = await db.pool.query<{ legacy_id: string; status: string; error_kind: string | null; attempts: number; error_stage: string | null; stacktrace: string | null }>(
      "SELECT legacy_id, status, error_kind, attempts, error_stage, stacktrace FROM service_imports WHERE run_id = $1",
      [summary.runId],
    );
    expect(rows).toHaveLength(DOCS);
    const byStatus = (s: string) => rows.filter((r) => r.status === s).length;
    expect(byStatus("succeeded")).toBe(summary.succeeded);
    expect(byStatus("failed")).toBe(summary.failed);
    const wrong: unknown[] = [];
    for (const row of rows) {
      const kind = expected.failed.get(row.legacy_id);
      const want =
        kind === undefined
          ? { status: "succeeded", kind: null }
          : { status: "failed", kind, attempts: 1, stage: kind === "not_found" || kind === "too_large" ? "fetch" : "extract" };
      const got =
        kind === undefined
          ? { status: row.status, kind: row.error_kind }
          : { status: row.status, kind: row.error_kind, attempts: row.attempts, stage: row.error_stage };
      if (JSON.stringify(want) !== JSON.stringify(got)) {
        const i = corpus.indexOf(row.legacy_id) ?? -1;
        wrong.push({ id: row.legacy_id, fault: corpus.fault(i), want, got });
      }
      if (kind !== undefined) expect(row.stacktrace).toContain("ImportFailure");
    }
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(summary.succeeded).toBe(expected.succeeded.size);
    expect(summary.failed).toBe(expected.failed.size);

    // The target holds each good document once, equal to the source.
    expect(await diffTarget(db.pool, corpus, expected)).toEqual([]);
    // Transient faults were retried, not failed: some documents needed more than one attempt.
    expect(rows.filter((r) => r.status === "succeeded" && r.attempts > 1).length).toBeGreaterThan(0);

    // `porter status` tells the same story.
    const status = await runPorter(["status", summary.runId, "--json"], env);
    expect(status.code, status.stderr).toBe(0);
    const parsed = JSON.parse(status.stdout) as { counts: Record<string, number>; failuresByKind: Record<string, number> };
    expect(parsed.counts.succeeded).toBe(summary.succeeded);
    const kinds: Record<string, number> = {};
    for (const kind of expected.failed.values()) kinds[kind] = (kinds[kind] ?? 0) + 1;
    expect(parsed.failuresByKind).toEqual(kinds);
  }, 240_000);

  it("loses and duplicates nothing when a worker is killed with SIGKILL mid-run", async () => {
    // Start again from a clean target so "exactly once" is about this run.
    await db.pool.query("TRUNCATE documents CASCADE");
    const victim = workers.find((w) => w.child.exitCode === null);
    expect(victim).toBeDefined();
    const enqueuer = spawnPorter(["run", "--follow", "--json"], env);
    const runId = await waitFor("the run to start", () => /run ([0-9a-f-]{36}) started/.exec(enqueuer.stderr())?.[1]);
    await waitFor(
      "a quarter of the run to finish",
      async () => {
        const { rows } = await db.pool.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM service_imports WHERE run_id = $1 AND status = 'succeeded'",
          [runId],
        );
        return (rows[0]?.n ?? 0) >= DOCS / 4;
      },
      { timeoutMs: 120_000 },
    );
    expect(await victim!.stop("SIGKILL")).toBe("SIGKILL");

    expect(await enqueuer.exited, enqueuer.stderr()).toBe(3);
    const summary = JSON.parse(enqueuer.stdout().trim()) as Summary;
    expect(summary).toMatchObject({ runId, status: "completed", listed: DOCS });
    expect(summary.succeeded).toBe(expected.succeeded.size);
    expect(summary.failed).toBe(expected.failed.size);
    expect(await diffTarget(db.pool, corpus, expected)).toEqual([]);
    const { rows } = await db.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM documents WHERE run_id <> $1",
      [runId],
    );
    expect(rows[0]?.n).toBe(0);
  }, 240_000);
});
