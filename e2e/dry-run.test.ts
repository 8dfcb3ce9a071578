import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCorpus, type FaultName } from "@porter/legacy-sim";
import { runPorter, type PorterProcess, type TestDatabase } from "@porter/testing";
import { diffTarget, expectedOutcome } from "./corpus-check.js";
import { parseSummary } from "./run-check.js";
import { openScenario, type Scenario } from "./scenario.js";

// A dry run, end to end: it fetches (filling the archive), extracts and
// validates every document, writes nothing to the target, and records what a
// real run would do; the real run then does exactly that. A replay of the dry
// run is the whole migration with one pass over the legacy service.
const DOCS = 400;
const SEED = 41;
const FAULTS: Partial<Record<FaultName, number>> = { "bad-json": 0.03, "not-found": 0.02, "bad-shape": 0.02, "server-error": 0.05 };

interface DrySummary {
  runId: string;
  status: string;
  dryRun: boolean;
  projection: { new: number; changed: number; unchanged: number };
  succeeded: number;
  failed: number;
}

describe("porter run --dry-run", () => {
  let scenario: Scenario;
  let db: TestDatabase;
  let env: Record<string, string>;
  let workers: PorterProcess[] = [];
  const corpus = createCorpus({ docs: DOCS, seed: SEED, faults: FAULTS });
  const expected = expectedOutcome(corpus);
  const requests = async (): Promise<number> =>
    ((await (await fetch(`${env.LEGACY_URL as string}/_sim/stats`)).json()) as { documents: number }).documents;
  const failuresOf = async (runId: string) =>
    new Map(
      (
        await db.pool.query<{ legacy_id: string; error_kind: string }>(
          "SELECT legacy_id, error_kind FROM service_imports WHERE run_id = $1 AND status = 'failed'",
          [runId],
        )
      ).rows.map((r) => [r.legacy_id, r.error_kind]),
    );
  const projected = async (runId: string, projection: string) =>
    new Set(
      (
        await db.pool.query<{ legacy_id: string }>("SELECT legacy_id FROM service_imports WHERE run_id = $1 AND projection = $2", [
          runId,
          projection,
        ])
      ).rows.map((r) => r.legacy_id),
    );
  const targetIds = async () => new Set((await db.pool.query<{ legacy_id: string }>("SELECT legacy_id FROM documents")).rows.map((r) => r.legacy_id));

  beforeAll(async () => {
    scenario = await openScenario({ name: "porter_dry_run", docs: DOCS, seed: SEED, faults: FAULTS });
    ({ db, env } = scenario);
    workers = [scenario.spawn(["worker"]), scenario.spawn(["worker"])];
  });

  afterAll(() => scenario?.close());

  it("on an empty target: writes nothing, and projects every document new and every failure with its kind", async () => {
    const dry = await runPorter(["run", "--dry-run", "--follow", "--json"], env);
    expect(dry.code, dry.stderr).toBe(3);
    expect(dry.stderr).toMatch(/dry run: nothing is written to the target/);
    const summary = JSON.parse(dry.stdout.trim()) as DrySummary;
    expect(summary).toMatchObject({ status: "completed", dryRun: true, succeeded: expected.succeeded.size, failed: expected.failed.size });
    expect(summary.projection).toEqual({ new: expected.succeeded.size, changed: 0, unchanged: 0 });
    expect((await db.pool.query("SELECT count(*)::int AS n FROM documents")).rows[0]).toEqual({ n: 0 });
    expect(await failuresOf(summary.runId)).toEqual(expected.failed);
  });

  it("projects new, changed and unchanged against a target, and the real run then does exactly that", async () => {
    // Part of the corpus in the target, ten of those older than the source.
    const part = await runPorter(["run", "--limit", "150", "--follow", "--json"], env);
    expect([0, 3]).toContain(part.code);
    await db.pool.query(
      "UPDATE documents SET updated_at = updated_at - interval '1 day' WHERE id IN (SELECT id FROM documents ORDER BY legacy_id LIMIT 10)",
    );
    const before = await targetIds();
    const stale = new Set(
      (await db.pool.query<{ legacy_id: string }>("SELECT legacy_id FROM documents ORDER BY legacy_id LIMIT 10")).rows.map((r) => r.legacy_id),
    );

    const dry = await runPorter(["run", "--dry-run", "--follow"], env);
    expect(dry.code, dry.stderr).toBe(3);
    const dryRun = /^dry run ([0-9a-f-]{36}) completed: nothing written; a real run would insert (\d+), update (\d+) \(and find (\d+) unchanged\), fail (\d+): /m.exec(dry.stdout);
    expect(dryRun, dry.stdout).not.toBeNull();
    const dryId = dryRun?.[1] as string;
    expect(Number(dryRun?.[2])).toBe(expected.succeeded.size - before.size);
    expect(Number(dryRun?.[3])).toBe(10);
    expect(Number(dryRun?.[4])).toBe(before.size - 10);
    expect(Number(dryRun?.[5])).toBe(expected.failed.size);
    expect(await targetIds()).toEqual(before);
    expect(await projected(dryId, "changed")).toEqual(stale);

    const status = await runPorter(["status", dryId], env);
    expect(status.stdout).toContain(`dry run ${dryId}: completed`);
    expect(status.stdout).toMatch(/nothing written; a real run would insert \d+, update 10/);
    const verify = await runPorter(["verify", dryId], env);
    expect(verify.code).toBe(2);
    expect(verify.stderr).toMatch(/is a dry run: it wrote nothing to compare/);

    const real = await runPorter(["run", "--follow", "--json"], env);
    expect(real.code, real.stderr).toBe(3);
    const realRun = parseSummary(real.stdout).runId;
    const after = await targetIds();
    const inserted = new Set([...after].filter((id) => !before.has(id)));
    expect(inserted).toEqual(await projected(dryId, "new"));
    expect(await failuresOf(realRun)).toEqual(await failuresOf(dryId));
    expect(await diffTarget(db.pool, corpus, expected)).toEqual([]);
  });

  it("a dry run then a replay of it is the whole migration with one pass over the legacy service", async () => {
    await db.pool.query("DELETE FROM documents");
    const dry = await runPorter(["run", "--dry-run", "--follow", "--json"], env);
    const dryId = (JSON.parse(dry.stdout.trim()) as DrySummary).runId;
    const served = await requests();
    const replay = await runPorter(["run", "--from-archive", "--of", dryId, "--follow", "--json"], env);
    expect(replay.code, replay.stderr).toBe(3);
    expect(parseSummary(replay.stdout)).toMatchObject({ succeeded: expected.succeeded.size, failed: expected.failed.size });
    expect(await requests()).toBe(served);
    expect(await diffTarget(db.pool, corpus, expected)).toEqual([]);
    for (const w of workers) expect(w.child.exitCode).toBeNull();
  });
});
