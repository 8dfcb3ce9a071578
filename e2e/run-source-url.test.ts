import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCorpus } from "@porter/legacy-sim";
import {
  createTestDatabase,
  createTestQueue,
  runPorter,
  spawnPorter,
  startLegacySimProcess,
  waitFor,
  type PorterProcess,
  type TestDatabase,
  type TestQueue,
} from "@porter/testing";
import { diffTarget, expectedOutcome } from "./corpus-check.js";
import { e2eEnv, parseSummary } from "./run-check.js";
import { simArgs } from "./scenario.js";

// A run carries its legacy service: started with LEGACY_URL on `porter run`
// alone (as the README's recipe has it), its documents come from there even
// when the workers' own LEGACY_URL points at another service.
const DOCS = 200;
const RUN_SEED = 8;
const OTHER_SEED = 9;

describe("a run reads the legacy service it was started against", () => {
  let db: TestDatabase;
  let queue: TestQueue;
  let theRuns: { url: string; process: PorterProcess };
  let theWorkers: { url: string; process: PorterProcess };
  let worker: PorterProcess | undefined;
  const documentsServed = async (url: string) => ((await (await fetch(`${url}/_sim/stats`)).json()) as { documents: number }).documents;

  beforeAll(async () => {
    [db, theRuns, theWorkers] = await Promise.all([
      createTestDatabase("porter_e2e_run_url"),
      startLegacySimProcess(simArgs(DOCS, RUN_SEED)),
      startLegacySimProcess(simArgs(DOCS, OTHER_SEED)),
    ]);
    queue = createTestQueue("porter_e2e_run_url");
  });

  afterAll(async () => {
    await worker?.stop();
    await Promise.allSettled([theRuns?.process.stop(), theWorkers?.process.stop()]);
    await queue?.drop();
    await db?.drop();
  });

  it("workers fetch every document from the run's LEGACY_URL, warn once for the run, and verify lists it there too", async () => {
    worker = spawnPorter(["worker"], e2eEnv(db, queue, theWorkers.url));
    const run = await runPorter(["run", "--follow", "--json"], e2eEnv(db, queue, theRuns.url));
    expect(run.code, run.stderr).toBe(0);
    const summary = parseSummary(run.stdout);
    expect(summary).toMatchObject({ listed: DOCS, succeeded: DOCS, failed: 0 });

    const corpus = createCorpus({ docs: DOCS, seed: RUN_SEED });
    expect(await diffTarget(db.pool, corpus, expectedOutcome(corpus))).toEqual([]);
    expect(await documentsServed(theRuns.url)).toBe(DOCS);
    expect(await documentsServed(theWorkers.url)).toBe(0);

    const w = worker;
    const warning = await waitFor("the worker's warning", () =>
      w
        .stdout()
        .split("\n")
        .filter((l) => l.includes("was started against the legacy service at"))
        .at(0),
    );
    expect(JSON.parse(warning)).toMatchObject({ level: 40, runId: summary.runId, runLegacyUrl: new URL(theRuns.url).href });
    expect(w.stdout().split("\n").filter((l) => l.includes("was started against")).length).toBe(1);

    // verify from a shell whose LEGACY_URL is the other service: it lists the run's, and says so.
    const verify = await runPorter(["verify", "latest"], e2eEnv(db, queue, theWorkers.url));
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stderr).toContain(`run ${summary.runId} was started against the legacy service at ${new URL(theRuns.url).href}: reading it there`);
    expect(verify.stdout).toContain("the target agrees with the legacy service");
  });
});
