import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCorpus } from "@porter/legacy-sim";
import { runPorter } from "@porter/testing";
import { e2eEnv } from "./run-check.js";
import { openScenario, type Scenario } from "./scenario.js";

// Hung responses (the simulator answers nothing, the socket stays open) on
// the first 1–2 requests of 5% of the documents, with an attempt timeout far
// longer than the test's: only FETCH_IDLE_TIMEOUT_MS can free them in time.
const DOCS = 300;
const SEED = 11;
const FAULTS = { hang: 0.05 };
const JOB_TIMEOUT_MS = 120_000;

describe("a response that sends nothing", () => {
  let scenario: Scenario | undefined;
  const corpus = createCorpus({ docs: DOCS, seed: SEED, faults: FAULTS });
  const hung = Array.from({ length: DOCS }, (_, i) => i)
    .filter((i) => corpus.fault(i) === "hang")
    .map((i) => corpus.id(i));

  beforeAll(async () => {
    scenario = await openScenario({
      name: "porter_e2e_hung",
      docs: DOCS,
      seed: SEED,
      faults: FAULTS,
      env: (db, queue, url) =>
        e2eEnv(db, queue, url, { JOB_TIMEOUT_MS: String(JOB_TIMEOUT_MS), FETCH_IDLE_TIMEOUT_MS: "300", BACKOFF_BASE_MS: "50" }),
    });
  });

  afterAll(() => scenario?.close());

  it("is aborted after FETCH_IDLE_TIMEOUT_MS and retried, long before JOB_TIMEOUT_MS: every document migrates", async () => {
    const s = scenario as Scenario;
    expect(hung.length).toBeGreaterThan(5);
    s.spawn(["worker"]);
    const run = await runPorter(["run", "--follow", "--json"], s.env);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout.trim())).toMatchObject({ status: "completed", listed: DOCS, succeeded: DOCS, failed: 0 });
    const { rows } = await s.db.pool.query<{ legacy_id: string; attempts: number }>(
      "SELECT legacy_id, attempts FROM service_imports WHERE legacy_id = ANY($1) ORDER BY legacy_id",
      [hung],
    );
    // Each hung document was abandoned at least once before it succeeded.
    expect(rows).toHaveLength(hung.length);
    expect(rows.filter((r) => r.attempts < 2)).toEqual([]);
  }, 60_000);
});
