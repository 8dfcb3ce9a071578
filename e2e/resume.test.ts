import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCorpus, type FaultName } from "@porter/legacy-sim";
import { runPorter, spawnPorter, waitFor, type PorterProcess, type TestDatabase } from "@porter/testing";
import { diffTarget, expectedOutcome } from "./corpus-check.js";
import { documentsByRun, e2eEnv, ledgerCounts, parseSummary, runRow, waitForRunId } from "./run-check.js";
import { openScenario, type Scenario } from "./scenario.js";

// A run whose enqueuer dies mid-listing goes on from its checkpoint. The
// listing repeats ids and serves empty pages; a short queue (high-water 100,
// pages of 50) keeps the listing going for most of the run.
const DOCS = 2_000;
const SEED = 19;
const FAULTS: Partial<Record<FaultName, number>> = { duplicate: 0.03, "empty-page": 0.05, "server-error": 0.02 };

describe("resume", () => {
  let scenario: Scenario | undefined;
  let db: TestDatabase;
  let env: Record<string, string>;
  const workers: PorterProcess[] = [];
  const corpus = createCorpus({ docs: DOCS, seed: SEED, faults: FAULTS });
  const expected = expectedOutcome(corpus);

  const startWorkers = () => workers.push((scenario as Scenario).spawn(["worker"]), (scenario as Scenario).spawn(["worker"]));
  const listedAtLeast = (runId: string, n: number) =>
    waitFor(`run ${runId} to list ${n} documents`, async () => (await runRow(db.pool, runId)).listed >= n, {
      timeoutMs: 120_000,
    });

  beforeAll(async () => {
    scenario = await openScenario({
      name: "porter_resume",
      docs: DOCS,
      seed: SEED,
      faults: FAULTS,
      env: (d, q, url) => e2eEnv(d, q, url, { QUEUE_HIGH_WATER: "100", LIST_PAGE_SIZE: "50", WORKER_CONCURRENCY: "10" }),
    });
    ({ db, env } = scenario);
  });

  afterAll(() => scenario?.close());

  async function expectMigratedOnce(runId: string, stdout: string): Promise<void> {
    const summary = parseSummary(stdout);
    expect(summary).toMatchObject({ runId, status: "completed", listed: DOCS, succeeded: DOCS, failed: 0 });
    expect(await ledgerCounts(db.pool, runId)).toEqual({ pending: 0, running: 0, succeeded: DOCS, failed: 0, rolled_back: 0 });
    expect(await diffTarget(db.pool, corpus, expected)).toEqual([]);
    expect(await documentsByRun(db.pool)).toEqual({ [runId]: DOCS });
  }

  it("continues a run from its checkpoint after its enqueuer was killed mid-listing", async () => {
    startWorkers();
    const enqueuer = spawnPorter(["run"], env);
    const runId = await waitForRunId(enqueuer);
    await listedAtLeast(runId, DOCS / 4);
    expect(await enqueuer.stop("SIGKILL")).toBe("SIGKILL");
    const killed = await runRow(db.pool, runId);
    expect(killed.status).toBe("listing");
    expect(killed.listed).toBeLessThan(DOCS);

    const resumed = await runPorter(["resume", runId, "--follow", "--json"], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`run ${runId} resumed from its checkpoint`);
    await expectMigratedOnce(runId, resumed.stdout);

    // Resuming a finished run just reports it.
    const again = await runPorter(["resume", runId, "--follow", "--json"], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`run ${runId} is completed: its listing is over`);
    expect(parseSummary(again.stdout)).toMatchObject({ runId, status: "completed", succeeded: DOCS });
  }, 240_000);

  it("finishes with nothing lost or duplicated when the enqueuer and every worker are killed at once", async () => {
    await db.pool.query("TRUNCATE documents CASCADE");
    if (workers.every((w) => w.child.exitCode !== null || w.child.signalCode !== null)) startWorkers();
    const enqueuer = spawnPorter(["run", "--follow", "--json"], env);
    const runId = await waitForRunId(enqueuer);
    await listedAtLeast(runId, DOCS / 4);
    await waitFor("some documents to succeed", async () => (await ledgerCounts(db.pool, runId)).succeeded >= DOCS / 10, {
      timeoutMs: 120_000,
    });

    // Everything at once: jobs in flight, the listing half done.
    const everyone = [enqueuer, ...workers.splice(0)];
    expect(await Promise.all(everyone.map((p) => p.stop("SIGKILL")))).toEqual(everyone.map(() => "SIGKILL"));
    const killed = await runRow(db.pool, runId);
    expect(killed.status).toBe("listing");
    expect(killed.listed).toBeLessThan(DOCS);

    startWorkers();
    const resumed = await runPorter(["resume", "latest", "--follow", "--json"], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`run ${runId} resumed from its checkpoint`);
    await expectMigratedOnce(runId, resumed.stdout);
  }, 240_000);
});
