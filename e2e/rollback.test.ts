import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCorpus, type FaultName } from "@porter/legacy-sim";
import { runPorter, spawnPorter, waitFor, type TestDatabase, type TestQueue } from "@porter/testing";
import { diffTarget, expectedOutcome } from "./corpus-check.js";
import {
  documentsByRun,
  e2eEnv,
  jobsOfRun,
  ledgerCounts,
  parseSummary,
  runRow,
  waitForRunId,
  waitForSucceeded,
} from "./run-check.js";
import { openScenario, type Scenario } from "./scenario.js";

// A coordinated rollback of a run that is still listing, with jobs waiting,
// retrying and in flight: slow and flaky pages keep workers busy while it runs.
const DOCS = 2_000;
const SEED = 13;
const FAULTS: Partial<Record<FaultName, number>> = { slow: 0.1, "server-error": 0.03 };

describe("rollback", () => {
  let scenario: Scenario | undefined;
  let db: TestDatabase;
  let queue: TestQueue;
  let env: Record<string, string>;
  const corpus = createCorpus({ docs: DOCS, seed: SEED, faults: FAULTS });
  const expected = expectedOutcome(corpus);

  beforeAll(async () => {
    scenario = await openScenario({
      name: "porter_rollback",
      docs: DOCS,
      seed: SEED,
      faults: FAULTS,
      // Few documents in flight and a short queue, so the run is still listing when the rollback comes.
      env: (d, q, url) => e2eEnv(d, q, url, { WORKER_CONCURRENCY: "5", QUEUE_HIGH_WATER: "100", LIST_PAGE_SIZE: "50" }),
    });
    ({ db, queue, env } = scenario);
    scenario.spawn(["worker"]);
    scenario.spawn(["worker"]);
  });

  afterAll(() => scenario?.close());

  it("removes everything a run wrote while its jobs are in flight; a new run then migrates everything", async () => {
    const enqueuer = spawnPorter(["run", "--follow", "--json"], env);
    const runId = await waitForRunId(enqueuer);
    await waitForSucceeded(db.pool, runId, DOCS / 10);

    // Without --yes: says what it would delete, changes nothing, exits 2.
    const dry = await runPorter(["rollback", runId], env);
    expect(dry.code, dry.stderr).toBe(2);
    const wouldDelete = Number(/would delete (\d+) documents/.exec(dry.stdout)?.[1]);
    expect(wouldDelete).toBeGreaterThanOrEqual(DOCS / 10);
    expect(dry.stdout).toMatch(/mark \d+ ledger rows rolled_back/);
    expect((await runRow(db.pool, runId)).status).not.toBe("rolled_back");
    expect((await documentsByRun(db.pool))[runId]).toBeGreaterThanOrEqual(wouldDelete);

    // While the run is still listing and its workers are busy.
    const before = await runRow(db.pool, runId);
    expect(before.status).toBe("listing");
    const rollback = await runPorter(["rollback", runId, "--yes"], env);
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(rollback.stderr).toMatch(/^rollback: \d+ ledger rows marked/m);
    const deleted = Number(/rolled back: (\d+) documents deleted/.exec(rollback.stdout)?.[1]);
    expect(deleted).toBeGreaterThanOrEqual(wouldDelete);

    // The enqueuer stops listing and its follow ends with the run rolled back: exit 5, it did not complete.
    expect(await enqueuer.exited, enqueuer.stderr()).toBe(5);
    expect(parseSummary(enqueuer.stdout())).toMatchObject({ runId, status: "rolled_back" });

    // Nothing of the run is left: no document, no attachment, no job; the ledger and the run are rolled back.
    const run = await runRow(db.pool, runId);
    expect(run).toMatchObject({ status: "rolled_back", finished: true });
    expect(run.listed).toBeLessThan(DOCS); // it really was stopped mid-listing
    expect(await documentsByRun(db.pool)).toEqual({});
    const { rows: attachments } = await db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM document_attachments");
    expect(attachments[0]?.n).toBe(0);
    expect(await ledgerCounts(db.pool, runId)).toEqual({ pending: 0, running: 0, succeeded: 0, failed: 0, rolled_back: run.listed });
    // A page the enqueuer had listed just before the rollback may add its jobs
    // just after; they are refused by the loader and end on their own.
    await waitFor("no job of the rolled-back run in Redis", async () => (await jobsOfRun(queue.redis, queue.prefix, runId)).length === 0, {
      timeoutMs: 30_000,
    });
    expect(await documentsByRun(db.pool)).toEqual({});

    // Safe to repeat.
    const again = await runPorter(["rollback", runId, "--yes"], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/rolled back: 0 documents deleted, 0 ledger rows marked rolled_back/);

    // A new run migrates everything.
    const rerun = await runPorter(["run", "--follow", "--json"], env);
    expect(rerun.code, rerun.stderr).toBe(0);
    const summary = parseSummary(rerun.stdout);
    expect(summary).toMatchObject({ status: "completed", listed: DOCS, succeeded: DOCS, failed: 0 });
    expect(await diffTarget(db.pool, corpus, expected)).toEqual([]);
    expect(await documentsByRun(db.pool)).toEqual({ [summary.runId]: DOCS });
    // The rolled-back run stayed as it was.
    expect(await ledgerCounts(db.pool, runId)).toEqual({ pending: 0, running: 0, succeeded: 0, failed: 0, rolled_back: run.listed });
  }, 240_000);
});
