import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCorpus } from "@porter/legacy-sim";
import { runPorter, waitFor } from "@porter/testing";
import { diffTarget, expectedOutcome } from "./corpus-check.js";
import { e2eEnv, ledgerCounts, parseSummary } from "./run-check.js";
import { openScenario, type Scenario } from "./scenario.js";

// porter cancel stops a run mid-way, and porter resume takes it up again.
const DOCS = 1_500;
const SEED = 21;

describe("porter cancel", () => {
  let scenario: Scenario | undefined;

  beforeAll(async () => {
    // One slow worker, so most of the run is still waiting when it is cancelled.
    scenario = await openScenario({
      name: "porter_e2e_cancel",
      docs: DOCS,
      seed: SEED,
      env: (db, queue, url) => e2eEnv(db, queue, url, { WORKER_CONCURRENCY: "2", QUEUE_HIGH_WATER: "5000" }),
    });
  });

  afterAll(() => scenario?.close());

  it("cancels the unfinished documents and removes their jobs; resume then migrates everything", async () => {
    const s = scenario as Scenario;
    const started = await runPorter(["run"], s.env);
    expect(started.code, started.stderr).toBe(0);
    const runId = /run ([0-9a-f-]{36}) started/.exec(started.stderr)?.[1] as string;
    s.spawn(["worker"]);
    // Someone follows the run meanwhile: its follow ends with the cancel, exit 5 (the run did not complete).
    const follower = s.spawn(["resume", runId, "--follow", "--json"]);
    await waitFor("some documents to succeed", async () => ((await ledgerCounts(s.db.pool, runId)).succeeded > 10 ? true : undefined));

    const cancel = await runPorter(["cancel", "latest"], s.env);
    expect(cancel.code, cancel.stderr).toBe(0);
    const said = /(\d+) unfinished documents cancelled, (\d+) jobs removed/.exec(cancel.stdout);
    expect(said, cancel.stdout).not.toBeNull();
    expect(Number(said?.[1])).toBeGreaterThan(DOCS / 2);
    expect(cancel.stdout).toContain(`porter resume ${runId} takes it up again`);

    expect(await follower.exited, follower.stderr()).toBe(5);
    expect(JSON.parse(follower.stdout().trim())).toMatchObject({ runId, status: "cancelled" });

    // Once the documents in flight have ended: nothing of the run is pending or running, and no job of it waits.
    await waitFor("the documents in flight to end", async () => ((await ledgerCounts(s.db.pool, runId)).running === 0 ? true : undefined));
    const counts = await ledgerCounts(s.db.pool, runId);
    expect(counts.pending).toBe(0);
    const status = JSON.parse((await runPorter(["status", runId, "--json"], s.env)).stdout) as {
      status: string;
      counts: { succeeded: number; failed: number; cancelled: number };
    };
    expect(status.status).toBe("cancelled");
    // A job taken while the cancel ran finds its row cancelled and writes nothing: the count stays.
    expect(status.counts.cancelled).toBe(Number(said?.[1]));
    expect(status.counts.succeeded + status.counts.failed + status.counts.cancelled).toBe(DOCS);
    const waiting = await s.queue.redis.llen(`${s.queue.prefix}:imports:wait`);
    expect(waiting).toBe(0);

    // Only a run that is listing or running can be cancelled.
    const again = await runPorter(["cancel", runId], s.env);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`run ${runId} is cancelled: only a run that is listing or running can be cancelled`);

    const resumed = await runPorter(["resume", runId, "--follow", "--json"], { ...s.env });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/was cancelled: \d+ unfinished documents are back in the queue/);
    expect(parseSummary(resumed.stdout)).toMatchObject({ runId, status: "completed", succeeded: DOCS, failed: 0 });
    const corpus = createCorpus({ docs: DOCS, seed: SEED });
    expect(await diffTarget(s.db.pool, corpus, expectedOutcome(corpus))).toEqual([]);
  }, 180_000);
});
