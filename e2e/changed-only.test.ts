import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCorpus, type FaultName } from "@porter/legacy-sim";
import {
  createTestDatabase,
  createTestQueue,
  runPorter,
  spawnPorter,
  startLegacySimProcess,
  type PorterProcess,
  type TestDatabase,
  type TestQueue,
} from "@porter/testing";
import { diffTarget, expectedOutcome } from "./corpus-check.js";
import { documentsByRun, e2eEnv, ledgerCounts, parseSummary } from "./run-check.js";
import { simArgs } from "./scenario.js";

// Changed-only runs, end to end: after a full run, `porter run --changed`
// fetches and writes only what changed at the source (or is missing from the
// target, or failed), and records the rest `skipped`.
const DOCS = 500;
const SEED = 31;
const TOUCHED = 0.02;
const FAULTS: Partial<Record<FaultName, number>> = { "bad-json": 0.02, "not-found": 0.01 };

interface Sim {
  url: string;
  process: PorterProcess;
}

describe("porter run --changed", () => {
  let db: TestDatabase;
  let queue: TestQueue;
  let sim: Sim;
  let workers: PorterProcess[] = [];
  let env: Record<string, string>;
  const original = createCorpus({ docs: DOCS, seed: SEED, faults: FAULTS });
  const touched = createCorpus({ docs: DOCS, seed: SEED, faults: FAULTS, touched: TOUCHED });
  const expected = expectedOutcome(original);
  const failedIds = new Set(expected.failed.keys());
  const touchedIds = new Set(Array.from({ length: DOCS }, (_, i) => i).filter((i) => touched.touched(i)).map((i) => touched.id(i)));

  const requests = async (): Promise<number> => ((await (await fetch(`${sim.url}/_sim/stats`)).json()) as { documents: number }).documents;

  async function serve(args: string[]): Promise<void> {
    await Promise.all(workers.map((w) => w.stop()));
    await sim?.process.stop();
    sim = await startLegacySimProcess([...simArgs(DOCS, SEED, FAULTS), ...args]);
    env = e2eEnv(db, queue, sim.url);
    workers = [spawnPorter(["worker"], env), spawnPorter(["worker"], env)];
  }

  async function changedRun(): Promise<{ runId: string; summary: ReturnType<typeof parseSummary> & { skipped: number }; fetched: number }> {
    const before = await requests();
    const run = await runPorter(["run", "--changed", "--follow", "--json"], env);
    expect([0, 3], run.stderr).toContain(run.code);
    const summary = parseSummary(run.stdout) as ReturnType<typeof parseSummary> & { skipped: number };
    return { runId: summary.runId, summary, fetched: (await requests()) - before };
  }

  beforeAll(async () => {
    db = await createTestDatabase("porter_changed");
    queue = createTestQueue("porter_changed");
    await serve([]);
  });

  afterAll(async () => {
    await Promise.allSettled(workers.map((w) => w.stop()));
    await sim?.process.stop();
    await queue?.drop();
    await db?.drop();
  });

  it("after a full run, an unchanged source is not fetched again: only what failed is", async () => {
    const full = await runPorter(["run", "--follow", "--json"], env);
    expect(full.code, full.stderr).toBe(3);
    const fullRun = parseSummary(full.stdout).runId;
    expect(touchedIds.size).toBeGreaterThan(0);

    const { runId, summary, fetched } = await changedRun();
    expect(fetched).toBe(failedIds.size);
    expect(summary).toMatchObject({ listed: DOCS, succeeded: 0, failed: failedIds.size, skipped: DOCS - failedIds.size });
    expect(await ledgerCounts(db.pool, runId)).toMatchObject({ pending: 0, running: 0, succeeded: 0, failed: failedIds.size });
    // A skipped document keeps the run that wrote it.
    expect(await documentsByRun(db.pool)).toEqual({ [fullRun]: expected.succeeded.size });
  });

  it("with 2% touched at the source, fetches exactly those (and what failed), and the target equals the source", async () => {
    await serve(["--touch", String(TOUCHED)]);
    const { runId, summary, fetched } = await changedRun();
    const refetched = new Set([...touchedIds, ...failedIds]);
    expect(fetched).toBe(refetched.size);
    const touchedOk = [...touchedIds].filter((id) => !failedIds.has(id)).length;
    expect(summary).toMatchObject({ succeeded: touchedOk, failed: failedIds.size, skipped: DOCS - refetched.size });
    const rows = await db.pool.query<{ legacy_id: string }>(
      "SELECT legacy_id FROM service_imports WHERE run_id = $1 AND status = 'succeeded'",
      [runId],
    );
    expect(new Set(rows.rows.map((r) => r.legacy_id))).toEqual(new Set([...touchedIds].filter((id) => !failedIds.has(id))));
    expect(await diffTarget(db.pool, touched, expectedOutcome(touched))).toEqual([]);
  });

  it("migrates again a document deleted from the target by hand", async () => {
    const gone = await db.pool.query<{ legacy_id: string }>(
      "DELETE FROM documents WHERE id IN (SELECT id FROM documents ORDER BY legacy_id LIMIT 7) RETURNING legacy_id",
    );
    const { summary, fetched } = await changedRun();
    expect(fetched).toBe(7 + failedIds.size);
    expect(summary).toMatchObject({ succeeded: 7, failed: failedIds.size, skipped: DOCS - 7 - failedIds.size });
    expect(await diffTarget(db.pool, touched, expectedOutcome(touched))).toEqual([]);
    expect(gone.rowCount).toBe(7);
  });

  it("a changed-only replay from the archive writes back what is missing without a request", async () => {
    await db.pool.query("DELETE FROM documents WHERE id IN (SELECT id FROM documents ORDER BY legacy_id DESC LIMIT 5)");
    const before = await requests();
    const run = await runPorter(["run", "--from-archive", "--changed", "--follow", "--json"], env);
    expect(run.code, run.stderr).toBe(3);
    const summary = parseSummary(run.stdout) as ReturnType<typeof parseSummary> & { skipped: number };
    expect(summary).toMatchObject({ succeeded: 5, failed: failedIds.size, skipped: DOCS - 5 - failedIds.size });
    expect(await requests()).toBe(before);
    expect(await diffTarget(db.pool, touched, expectedOutcome(touched))).toEqual([]);
  });

  it("a rollback of a changed-only run deletes what it wrote and leaves what it skipped", async () => {
    const latest = await db.pool.query<{ id: string }>("SELECT id FROM import_runs ORDER BY started_at DESC LIMIT 1");
    const runId = latest.rows[0]?.id as string;
    const before = await documentsByRun(db.pool);
    expect(before[runId]).toBe(5);
    const rollback = await runPorter(["rollback", runId, "--yes"], env);
    expect(rollback.code, rollback.stderr).toBe(0);
    const after = await documentsByRun(db.pool);
    expect(after[runId]).toBeUndefined();
    expect(Object.values(after).reduce((sum, n) => sum + n, 0)).toBe(expected.succeeded.size - 5);
    const rows = await ledgerCounts(db.pool, runId);
    expect(rows.rolled_back).toBe(DOCS);
  });

  it("porter status counts the skipped documents", async () => {
    const deleted = await db.pool.query<{ id: string }>(
      "SELECT id FROM import_runs WHERE changed_only AND status = 'completed' ORDER BY started_at DESC LIMIT 1",
    );
    const status = await runPorter(["status", deleted.rows[0]?.id as string, "--json"], env);
    expect(status.code, status.stderr).toBe(0);
    expect((JSON.parse(status.stdout) as { counts: { skipped: number } }).counts.skipped).toBe(DOCS - 7 - failedIds.size);
  });
});
