import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCorpus, type FaultName } from "@porter/legacy-sim";
import { spawnPorter, waitFor, type PorterProcess, type TestDatabase, type TestQueue } from "@porter/testing";
import { diffTarget, expectedOutcome } from "./corpus-check.js";
import { documentsByRun, ledgerCounts, parseSummary, waitForRunId, waitForSucceeded } from "./run-check.js";
import { openScenario, type Scenario } from "./scenario.js";

// Dead jobs come back by themselves: the ledger is the truth, Redis may lose
// everything. Real processes: a simulator with transient faults (so some jobs
// sit delayed for a retry when the blow lands), two workers, and an enqueuer
// following the run.
const DOCS = 2_000;
const SEED = 11;
const FAULTS: Partial<Record<FaultName, number>> = { "server-error": 0.03, reset: 0.01, slow: 0.01 };

describe("revival of lost work", () => {
  let scenario: Scenario | undefined;
  let db: TestDatabase;
  let queue: TestQueue;
  let env: Record<string, string>;
  const workers: PorterProcess[] = [];
  const corpus = createCorpus({ docs: DOCS, seed: SEED, faults: FAULTS });
  const expected = expectedOutcome(corpus);

  beforeAll(async () => {
    scenario = await openScenario({ name: "porter_revival", docs: DOCS, seed: SEED, faults: FAULTS });
    ({ db, queue, env } = scenario);
    workers.push(scenario.spawn(["worker"]), scenario.spawn(["worker"]));
  });

  afterAll(() => scenario?.close());

  it("finishes every document exactly once when every key of the queue is deleted mid-run", async () => {
    expect(expected.failed.size).toBe(0); // transient faults only: everything must end up loaded
    const enqueuer = spawnPorter(["run", "--follow", "--json"], env);
    const runId = await waitForRunId(enqueuer);
    await waitForSucceeded(db.pool, runId, DOCS / 4);

    // A real FLUSHALL would also wipe the queues of the test files running in
    // parallel on this Redis; deleting every key under this file's prefix
    // (SCAN + DEL) is the same blow for this queue: waiting, delayed and
    // active jobs, their locks, the queue's meta and markers, the reconciler's lease.
    const deleted = await queue.clear();
    expect(deleted).toBeGreaterThan(0);
    const counts = await ledgerCounts(db.pool, runId);
    expect(counts.pending).toBeGreaterThan(0); // work was outstanding when Redis lost it

    expect(await enqueuer.exited, enqueuer.stderr()).toBe(0);
    const summary = parseSummary(enqueuer.stdout());
    expect(summary).toMatchObject({ runId, status: "completed", listed: DOCS, succeeded: DOCS, failed: 0 });
    expect(await ledgerCounts(db.pool, runId)).toEqual({ pending: 0, running: 0, succeeded: DOCS, failed: 0, rolled_back: 0 });
    expect(await diffTarget(db.pool, corpus, expected)).toEqual([]);
    expect(await documentsByRun(db.pool)).toEqual({ [runId]: DOCS });
    // It was the reconciler that brought the lost jobs back (BullMQ recreated its keys as they were added).
    await waitFor("a worker to log the revival", () =>
      workers.some((w) => /revived \d+ documents whose job was lost from Redis/.test(w.stdout())),
    );
  }, 240_000);

  it("finishes with nothing lost or duplicated when every Postgres connection of the workers is terminated mid-run", async () => {
    await db.pool.query("TRUNCATE documents CASCADE");
    const enqueuer = spawnPorter(["run", "--follow", "--json"], env);
    const runId = await waitForRunId(enqueuer);
    let terminated = 0;
    for (const share of [0.2, 0.5, 0.8]) {
      await waitForSucceeded(db.pool, runId, DOCS * share);
      const { rows } = await db.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM (
           SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = $1 AND application_name = 'porter-worker') t`,
        [db.name],
      );
      terminated += rows[0]?.n ?? 0;
    }
    expect(terminated).toBeGreaterThan(0);

    expect(await enqueuer.exited, enqueuer.stderr()).toBe(0);
    const summary = parseSummary(enqueuer.stdout());
    expect(summary).toMatchObject({ runId, status: "completed", listed: DOCS, succeeded: DOCS, failed: 0 });
    expect(await ledgerCounts(db.pool, runId)).toEqual({ pending: 0, running: 0, succeeded: DOCS, failed: 0, rolled_back: 0 });
    expect(await diffTarget(db.pool, corpus, expected)).toEqual([]);
    expect(await documentsByRun(db.pool)).toEqual({ [runId]: DOCS });
    // The workers lived through it.
    for (const w of workers) expect(w.child.exitCode, w.stderr()).toBeNull();
  }, 240_000);
});
