import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCorpus, type FaultName } from "@porter/legacy-sim";
import {
  createTestDatabase,
  createTestQueue,
  freePort,
  runPorter,
  spawnPorter,
  startLegacySimProcess,
  waitFor,
  type PorterProcess,
  type TestDatabase,
  type TestQueue,
} from "@porter/testing";
import { diffTarget, expectedOutcome } from "./corpus-check.js";
import { documentsByRun, e2eEnv, ledgerCounts, parseSummary, runRow } from "./run-check.js";

// Fix what failed, then prove the result. The legacy service, at one address
// throughout (a run reads the service it was started against), serves the same
// corpus (same seed) three ways in turn: with documents that fail for good
// (404, broken JSON), with its faults cleared, and with some documents edited
// since (updatedAt a day later).
const DOCS = 1_500;
const SEED = 17;
const FAULTS: Partial<Record<FaultName, number>> = { "not-found": 0.02, "bad-json": 0.01 };
const TOUCHED = 0.01;

interface FailureLine {
  id: string;
  legacyId: string;
  kind: string;
  stage: string | null;
  message: string | null;
  attempts: number;
  stacktrace: string | null;
}

interface VerifyReport {
  runId: string;
  agree: boolean;
  listed: number;
  missing: { count: number; ids: string[] };
  failed: { count: number; ids: string[] };
  extra: { count: number; ids: string[] };
  stale: { count: number; ids: string[] };
}

describe("requeue and verify", () => {
  let db: TestDatabase;
  let queue: TestQueue;
  const workers: PorterProcess[] = [];
  let port: number;
  let sim: PorterProcess | undefined;
  let legacyUrl: string;
  const faulty = createCorpus({ docs: DOCS, seed: SEED, faults: FAULTS });
  const clean = createCorpus({ docs: DOCS, seed: SEED });
  const touched = createCorpus({ docs: DOCS, seed: SEED, touched: TOUCHED });

  const env = (legacyUrl: string) => e2eEnv(db, queue, legacyUrl);
  const startWorkers = (legacyUrl: string) => workers.push(spawnPorter(["worker"], env(legacyUrl)), spawnPorter(["worker"], env(legacyUrl)));
  const stopWorkers = async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop("SIGTERM", 10_000)));
  };
  const waitCompleted = (runId: string) =>
    waitFor(`run ${runId} to be completed`, async () => (await runRow(db.pool, runId)).status === "completed", {
      timeoutMs: 120_000,
    });

  beforeAll(async () => {
    db = await createTestDatabase("porter_requeue");
    queue = createTestQueue("porter_requeue");
    port = await freePort();
  });

  const BASE = ["--docs", String(DOCS), "--seed", String(SEED)];
  const FAULTY = Object.entries(FAULTS).flatMap(([name, rate]) => [`--${name}`, String(rate)]);
  const TOUCH = ["--touch", String(TOUCHED)];
  /** The legacy service, as it is now: the simulator at `port` is stopped and started again with `args`. */
  const serve = async (args: string[]) => {
    await sim?.stop();
    const started = await startLegacySimProcess([...BASE, ...args, "--port", String(port)]);
    sim = started.process;
    legacyUrl = started.url;
  };

  afterAll(async () => {
    await stopWorkers();
    await sim?.stop();
    await queue?.drop();
    await db?.drop();
  });

  it("lists the failures, and requeued after the legacy fault is cleared they succeed", async () => {
    const expected = expectedOutcome(faulty);
    const notFound = [...expected.failed].filter(([, kind]) => kind === "not_found").map(([id]) => id);
    expect(notFound.length).toBeGreaterThan(0);
    expect(expected.failed.size).toBeGreaterThan(notFound.length);

    await serve(FAULTY);
    startWorkers(legacyUrl);
    const run = await runPorter(["run", "--follow", "--json"], env(legacyUrl));
    expect(run.code, run.stderr).toBe(3);
    const summary = parseSummary(run.stdout);
    expect(summary).toMatchObject({ status: "completed", listed: DOCS, failed: expected.failed.size });
    const runId = summary.runId;

    // porter failures: every failure once, with its kind, stage, attempts and stack trace.
    const listed = await runPorter(["failures", runId, "--json"], env(legacyUrl));
    expect(listed.code, listed.stderr).toBe(0);
    const failures = listed.stdout.trim().split("\n").map((line) => JSON.parse(line) as FailureLine);
    expect(new Map(failures.map((f) => [f.legacyId, f.kind]))).toEqual(expected.failed);
    for (const f of failures) {
      expect(f).toMatchObject({ attempts: 1, stage: f.kind === "not_found" ? "fetch" : "extract" });
      expect(f.message).toBeTruthy();
      expect(f.stacktrace).toContain("ImportFailure");
    }
    const oneKind = await runPorter(["failures", runId, "--kind", "not_found"], env(legacyUrl));
    expect(oneKind.code, oneKind.stderr).toBe(0);
    expect(oneKind.stdout).toContain(`${notFound.length} failed documents of kind not_found in run ${runId}`);
    expect(oneKind.stdout).toContain(JSON.stringify(notFound[0]));

    // verify against the faulty service: the failed documents are reported as such, nothing else.
    const before = await runPorter(["verify", runId, "--json"], env(legacyUrl));
    expect(before.code, before.stderr).toBe(3);
    const report = JSON.parse(before.stdout) as VerifyReport;
    expect(report).toMatchObject({ agree: false, listed: DOCS, missing: { count: 0 }, extra: { count: 0 }, stale: { count: 0 } });
    expect(report.failed.count).toBe(expected.failed.size);
    expect(new Set(report.failed.ids)).toEqual(new Set(expected.failed.keys()));

    // The legacy service is fixed: the same address now serves the corpus without its faults.
    await serve([]);

    // One kind first: only those come back, attempts from 0, the run running again until they finish.
    const completedAt = (await runRow(db.pool, runId)).finishedAt;
    const first = await runPorter(["requeue", runId, "--kind", "not_found"], env(legacyUrl));
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`${notFound.length} failed documents of kind not_found requeued`);
    // Nobody follows the run: the reconciler completes it again.
    await waitFor("the run to be completed again", async () => {
      const row = await runRow(db.pool, runId);
      return row.status === "completed" && row.finishedAt !== completedAt;
    });
    expect(await ledgerCounts(db.pool, runId)).toMatchObject({ failed: expected.failed.size - notFound.length, pending: 0 });

    // Then the rest.
    const rest = await runPorter(["requeue", runId], env(legacyUrl));
    expect(rest.code, rest.stderr).toBe(0);
    expect(rest.stdout).toContain(`${expected.failed.size - notFound.length} failed documents requeued`);
    await waitCompleted(runId);
    expect(await ledgerCounts(db.pool, runId)).toEqual({ pending: 0, running: 0, succeeded: DOCS, failed: 0, rolled_back: 0 });

    // Every once-failed document was loaded on its first new attempt, its old error cleared.
    const { rows } = await db.pool.query<{ attempts: number; error_kind: string | null }>(
      "SELECT attempts, error_kind FROM service_imports WHERE run_id = $1 AND legacy_id = ANY($2::text[])",
      [runId, [...expected.failed.keys()]],
    );
    expect(rows).toHaveLength(expected.failed.size);
    for (const row of rows) expect(row).toEqual({ attempts: 1, error_kind: null });
    expect(await diffTarget(db.pool, clean, expectedOutcome(clean))).toEqual([]);
    expect(await documentsByRun(db.pool)).toEqual({ [runId]: DOCS });
    const nothingLeft = await runPorter(["failures", runId], env(legacyUrl));
    expect(nothingLeft.stdout).toContain(`0 failed documents in run ${runId}`);

    const after = await runPorter(["verify", runId], env(legacyUrl));
    expect(after.code, after.stdout + after.stderr).toBe(0);
    expect(after.stdout).toContain(`${DOCS} documents listed; the target agrees with the legacy service`);
  }, 300_000);

  it("verify finds a document deleted by hand, one changed at the source, and one the source no longer lists", async () => {
    await serve([]);
    const run = await runPorter(["run", "--follow", "--json"], env(legacyUrl));
    expect(run.code, run.stderr).toBe(0);
    const runId = parseSummary(run.stdout).runId;
    const agree = await runPorter(["verify", runId, "--json"], env(legacyUrl));
    expect(agree.code, agree.stderr).toBe(0);
    expect(JSON.parse(agree.stdout)).toMatchObject({ agree: true, listed: DOCS });

    // By hand: one document deleted, one written by the run that the source does not list.
    const gone = clean.id(42);
    await db.pool.query("DELETE FROM documents WHERE legacy_id = $1", [gone]);
    await db.pool.query(
      `INSERT INTO documents (legacy_id, title, body, author_id, author_name, tags, created_at, updated_at, run_id)
       VALUES ('not-in-the-listing', 't', 'b', 'a', 'n', '{}', now(), now(), $1)`,
      [runId],
    );
    // At the source: some documents edited since the run.
    await serve(TOUCH);
    const changed = Array.from({ length: DOCS }, (_, i) => i).filter((i) => touched.touched(i)).map((i) => touched.id(i));
    expect(changed.length).toBeGreaterThan(0);
    const stale = changed.filter((id) => id !== gone).sort();

    const differ = await runPorter(["verify", runId, "--json"], env(legacyUrl));
    expect(differ.code, differ.stderr).toBe(3);
    const report = JSON.parse(differ.stdout) as VerifyReport;
    expect(report).toMatchObject({
      runId,
      agree: false,
      listed: DOCS,
      missing: { count: 1, ids: [gone] },
      failed: { count: 0, ids: [] },
      extra: { count: 1, ids: ["not-in-the-listing"] },
      stale: { count: stale.length },
    });
    expect([...report.stale.ids].sort()).toEqual(stale);

    const text = await runPorter(["verify", runId], env(legacyUrl));
    expect(text.code).toBe(3);
    expect(text.stdout).toContain(`1 missing, 0 failed, 1 extra, ${stale.length} stale`);
    expect(text.stdout).toContain(JSON.stringify(gone));
  }, 240_000);

  it("refuses an unknown run and bad flags with exit code 2", async () => {
    const e = env(legacyUrl);
    const unknown = "00000000-0000-4000-8000-000000000000";
    const unknownRun = [
      ["failures", unknown],
      ["requeue", unknown],
      ["rollback", unknown, "--yes"],
      ["verify", unknown],
      ["resume", unknown],
    ];
    const badFlags = [
      ["failures", "not-a-run"],
      ["failures", unknown, "--kind", "no_such_kind"],
      ["requeue", unknown, "--kind", "nope"],
      ["resume", "earliest"],
      ["verify", unknown, "--bogus"],
    ];
    const results = await Promise.all([...unknownRun, ...badFlags].map((args) => runPorter(args, e)));
    results.forEach((result, i) => {
      const args = [...unknownRun, ...badFlags][i] ?? [];
      expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(2);
      if (i < unknownRun.length) expect(result.stderr).toContain(`no run ${unknown}`);
    });
  }, 120_000);
});
