import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCorpus, type FaultName } from "@porter/legacy-sim";
import { createTestDatabase, runPorter, type PorterProcess, type TestDatabase } from "@porter/testing";
import { diffTarget, expectedOutcome } from "./corpus-check.js";
import { documentsByRun, ledgerCounts, parseSummary } from "./run-check.js";
import { openScenario, type Scenario } from "./scenario.js";

// The page archive and a replay from it, end to end with real processes: a
// run keeps every page fetched with 200; a replay lists what that run listed,
// reads the pages from the archive and sends the legacy service nothing, so it
// still works once the service is gone.
const DOCS = 400;
const TOO_LARGE_BYTES = 9 * 1024 * 1024;
const SEED = 23;
const FAULTS: Partial<Record<FaultName, number>> = {
  "not-found": 0.03,
  "bad-json": 0.03,
  "missing-tag": 0.02,
  "too-large": 0.02,
  "server-error": 0.05,
};

interface SimStats {
  documents: number;
}

describe("page archive and replay", () => {
  let scenario: Scenario;
  let db: TestDatabase;
  let env: Record<string, string>;
  let legacyUrl: string;
  let workers: PorterProcess[] = [];
  const corpus = createCorpus({ docs: DOCS, seed: SEED, faults: FAULTS, tooLargeBytes: TOO_LARGE_BYTES });
  const expected = expectedOutcome(corpus);
  const out = mkdtempSync(join(tmpdir(), "porter-archive-"));
  let firstRun: string;

  const simStats = async (): Promise<SimStats> => (await fetch(`${legacyUrl}/_sim/stats`)).json() as Promise<SimStats>;
  const archiveCounts = async () =>
    (
      await db.pool.query<{ pages: number; documents: number }>(
        "SELECT count(*)::int AS pages, count(DISTINCT legacy_key)::int AS documents FROM porter_archive.pages",
      )
    ).rows[0];

  beforeAll(async () => {
    scenario = await openScenario({
      name: "porter_archive",
      docs: DOCS,
      seed: SEED,
      faults: FAULTS,
      simArgs: ["--too-large-bytes", String(TOO_LARGE_BYTES)],
    });
    ({ db, env } = scenario);
    legacyUrl = env.LEGACY_URL as string;
    env.MAX_PAGE_BYTES = String(8 * 1024 * 1024);
    workers = [scenario.spawn(["worker"], env), scenario.spawn(["worker"], env)];
  });

  afterAll(async () => {
    rmSync(out, { recursive: true, force: true });
    await scenario?.close();
  });

  it("keeps every page fetched with 200, once per content, in the target database", async () => {
    const run = await runPorter(["run", "--follow", "--json"], env);
    expect(run.code, run.stderr).toBe(3);
    const summary = parseSummary(run.stdout);
    firstRun = summary.runId;
    expect(summary).toMatchObject({ listed: DOCS, succeeded: expected.succeeded.size, failed: expected.failed.size });

    // Every page that came with 200: the documents, and those that failed at extract.
    const fetched = [...expected.failed.values()].filter((kind) => kind !== "not_found" && kind !== "too_large").length;
    expect(await archiveCounts()).toEqual({ pages: expected.succeeded.size + fetched, documents: expected.succeeded.size + fetched });
    const kinds = await db.pool.query<{ error_kind: string | null; archived: boolean }>(
      `SELECT s.error_kind, EXISTS (SELECT 1 FROM porter_archive.pages p WHERE p.legacy_key = s.legacy_key) AS archived
         FROM service_imports s WHERE s.run_id = $1`,
      [firstRun],
    );
    for (const row of kinds.rows) expect(row.archived).toBe(row.error_kind !== "not_found" && row.error_kind !== "too_large");

    const stats = await runPorter(["archive", "stats", "--json"], env);
    expect(stats.code, stats.stderr).toBe(0);
    const figures = JSON.parse(stats.stdout) as { pages: number; documents: number; rawBytes: number; storedBytes: number };
    expect(figures.pages).toBe(expected.succeeded.size + fetched);
    expect(figures.storedBytes).toBeGreaterThan(0);
    expect(figures.storedBytes).toBeLessThan(figures.rawBytes);
  });

  it("stores a page again only when its bytes changed", async () => {
    const before = await archiveCounts();
    const run = await runPorter(["run", "--follow", "--json"], env);
    expect(run.code, run.stderr).toBe(3);
    expect(await archiveCounts()).toEqual(before);
    const latest = await db.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM porter_archive.pages WHERE run_id = $1 AND first_run_id = $2",
      [parseSummary(run.stdout).runId, firstRun],
    );
    expect(latest.rows[0]?.n).toBe(before?.pages);
  });

  it("exports the latest page of every document byte for byte, with an index", async () => {
    const dir = join(out, "export");
    const exported = await runPorter(["archive", "export", dir], env);
    expect(exported.code, exported.stderr).toBe(0);
    const index = readFileSync(join(dir, "index.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { legacyId: string; file: string; sha256: string; bytes: number });
    expect(index.length).toBe((await archiveCounts())?.documents);
    for (const entry of index) {
      const served = Buffer.from(await (await fetch(`${legacyUrl}/documents/${encodeURIComponent(entry.legacyId)}`)).arrayBuffer());
      expect(readFileSync(join(dir, entry.file)).equals(served), entry.legacyId).toBe(true);
      expect(entry.bytes).toBe(served.length);
    }

    const again = await runPorter(["archive", "export", dir], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/is not empty/);
  });

  it("replays a run from the archive without one request to the legacy service", async () => {
    // Damage the target: documents deleted by hand.
    const { rowCount } = await db.pool.query(
      "DELETE FROM documents WHERE id IN (SELECT id FROM documents ORDER BY legacy_id LIMIT 50)",
    );
    expect(rowCount).toBe(50);
    const requests = (await simStats()).documents;

    const replay = await runPorter(["run", "--from-archive", "--of", firstRun, "--follow", "--json"], env);
    expect(replay.code, replay.stderr).toBe(3);
    expect(replay.stderr).toContain(`a replay of run ${firstRun} from the archive`);
    const summary = parseSummary(replay.stdout);
    expect(summary).toMatchObject({ listed: DOCS, succeeded: expected.succeeded.size, failed: expected.failed.size });
    expect((await simStats()).documents).toBe(requests);

    expect(await diffTarget(db.pool, corpus, expected)).toEqual([]);
    expect(await documentsByRun(db.pool)).toEqual({ [summary.runId]: expected.succeeded.size });
    // Each failure again with the kind it had, those without a page included, none retried.
    const failures = await db.pool.query<{ legacy_id: string; error_kind: string; attempts: number }>(
      "SELECT legacy_id, error_kind, attempts FROM service_imports WHERE run_id = $1 AND status = 'failed'",
      [summary.runId],
    );
    expect(new Map(failures.rows.map((r) => [r.legacy_id, r.error_kind]))).toEqual(expected.failed);
    expect(failures.rows.every((r) => r.attempts === 1)).toBe(true);
  });

  it("replays the latest run once the legacy service is gone", async () => {
    await scenario.stopSimulator();
    await db.pool.query("DELETE FROM documents");
    const replay = await runPorter(["run", "--from-archive", "--follow", "--json"], env);
    expect(replay.code, replay.stderr).toBe(3);
    const summary = parseSummary(replay.stdout);
    expect(summary).toMatchObject({ listed: DOCS, succeeded: expected.succeeded.size, failed: expected.failed.size });
    expect(await ledgerCounts(db.pool, summary.runId)).toMatchObject({ succeeded: expected.succeeded.size, failed: expected.failed.size });
    expect(await diffTarget(db.pool, corpus, expected)).toEqual([]);
  });

  it("refuses a replay that cannot be one, saying why", async () => {
    const unknown = await runPorter(["run", "--from-archive", "--of", "00000000-0000-4000-8000-000000000000"], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no run 00000000-0000-4000-8000-000000000000 to replay/);

    const without = await runPorter(["run", "--of", firstRun], env);
    expect(without.code).toBe(2);
    expect(without.stderr).toMatch(/--of names the run to replay: use it with --from-archive/);

    // A run with a document in flight (dated ahead, so no reconciler revives it and the run stays running).
    const going = await db.pool.query<{ id: string }>("INSERT INTO import_runs (status, listed) VALUES ('running', 1) RETURNING id");
    await db.pool.query(
      `INSERT INTO service_imports (run_id, legacy_id, legacy_key, status, updated_at)
       VALUES ($1, 'in-flight', porter_legacy_key('in-flight'), 'running', now() + interval '1 hour')`,
      [going.rows[0]?.id],
    );
    const replayRunning = await runPorter(["run", "--from-archive", "--of", going.rows[0]?.id as string], env);
    expect(replayRunning.code, replayRunning.stdout + replayRunning.stderr).toBe(2);
    expect(replayRunning.stderr).toMatch(/is still running; replay it once it is completed/);
    await db.pool.query("DELETE FROM import_runs WHERE id = $1", [going.rows[0]?.id]);

    const rolledBack = await runPorter(["rollback", firstRun, "--yes"], env);
    expect(rolledBack.code, rolledBack.stderr).toBe(0);
    const replayRolledBack = await runPorter(["run", "--from-archive", "--of", firstRun], env);
    expect(replayRolledBack.code).toBe(2);
    expect(replayRolledBack.stderr).toMatch(new RegExp(`run ${firstRun} is rolled_back`));

    const empty = await createTestDatabase("porter_archive_empty");
    try {
      const none = await runPorter(["run", "--from-archive"], { ...env, DATABASE_URL: empty.url });
      expect(none.code).toBe(2);
      expect(none.stderr).toMatch(/the page archive holds no page yet/);
    } finally {
      await empty.drop();
    }
  });

  it("the workers stay up through all of it", () => {
    for (const w of workers) expect(w.child.exitCode).toBeNull();
  });
});
