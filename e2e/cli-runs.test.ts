import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPorter } from "@porter/testing";
import { parseSummary } from "./run-check.js";
import { openScenario, type Scenario } from "./scenario.js";

// The operator's view of several runs: `porter runs`, `latest` for a run id,
// `--version`, and output into a pipe that closes early.
const DOCS = 300;
const SEED = 5;
// Many permanent failures, so `porter failures --json` (stack traces) writes far more than a pipe holds.
const FAULTS = { "not-found": 0.4 };
const PORTER = fileURLToPath(new URL("../apps/cli/bin/porter.js", import.meta.url));

interface RunLine {
  runId: string;
  status: string;
  kind: string;
  listed: number;
  succeeded: number;
  failed: number;
  skipped: number;
  docsPerSecond: number;
  startedAt: string;
  finishedAt: string | null;
}

describe("porter runs, latest, --version, closed pipes", () => {
  let scenario: Scenario | undefined;
  let full: ReturnType<typeof parseSummary>;
  let changed: ReturnType<typeof parseSummary>;

  beforeAll(async () => {
    scenario = await openScenario({ name: "porter_e2e_cli_runs", docs: DOCS, seed: SEED, faults: FAULTS });
    scenario.spawn(["worker"]);
    const first = await runPorter(["run", "--follow", "--json"], scenario.env);
    expect(first.code, first.stderr).toBe(3);
    full = parseSummary(first.stdout);
    const second = await runPorter(["run", "--changed", "--follow", "--json"], scenario.env);
    expect(second.code, second.stderr).toBe(3);
    changed = parseSummary(second.stdout);
  }, 120_000);

  afterAll(() => scenario?.close());

  it("porter runs lists them newest first, with kind, counts, pace and times; --json one object per line", async () => {
    const env = (scenario as Scenario).env;
    const json = await runPorter(["runs", "--json"], env);
    expect(json.code, json.stderr).toBe(0);
    const lines = json.stdout.trim().split("\n").map((l) => JSON.parse(l) as RunLine);
    expect(lines.map((l) => l.runId)).toEqual([changed.runId, full.runId]);
    expect(lines[1]).toMatchObject({ status: "completed", kind: "full", listed: DOCS, succeeded: full.succeeded, failed: full.failed, skipped: 0 });
    expect(full.failed).toBeGreaterThan(50);
    // The changed-only run skips what the first wrote and fetches the failed ones again.
    expect(lines[0]).toMatchObject({ status: "completed", kind: "changed only", listed: DOCS, succeeded: 0, failed: full.failed, skipped: full.succeeded });
    for (const l of lines) {
      expect(l.docsPerSecond).toBeGreaterThan(0);
      expect(Date.parse(l.finishedAt as string)).toBeGreaterThanOrEqual(Date.parse(l.startedAt));
    }

    const text = await runPorter(["runs"], env);
    expect(text.code, text.stderr).toBe(0);
    const rows = text.stdout.trim().split("\n");
    expect(rows[0]).toMatch(/^run\s+status\s+listed\s+succeeded\s+failed\s+skipped\s+docs\/s\s+started\s+finished\s+kind$/);
    expect(rows.slice(1).map((r) => r.split(/\s+/)[0])).toEqual([changed.runId, full.runId]);
    expect(rows[2]).toMatch(new RegExp(`^${full.runId}\\s+completed\\s+${DOCS}\\s+${full.succeeded}\\s+${full.failed}\\s+0\\s`));

    const limited = await runPorter(["runs", "--json", "--limit", "1"], env);
    expect(limited.stdout.trim().split("\n")).toHaveLength(1);
  });

  it("latest stands for the newest run wherever a run id goes", async () => {
    const env = (scenario as Scenario).env;
    const latest = await runPorter(["status", "latest", "--json"], env);
    const byId = await runPorter(["status", changed.runId, "--json"], env);
    expect(latest.code, latest.stderr).toBe(0);
    expect(JSON.parse(latest.stdout)).toEqual(JSON.parse(byId.stdout));
    const failures = await runPorter(["failures", "latest"], env);
    expect(failures.stdout.trim().split("\n").at(-1)).toBe(`${changed.failed} failed documents in run ${changed.runId} (--json adds stack traces)`);
    const rollback = await runPorter(["rollback", "latest"], env);
    expect(rollback.code).toBe(2);
    expect(rollback.stdout + rollback.stderr).toContain(`run ${changed.runId} is completed. A rollback would delete`);
    const bad = await runPorter(["status", "newest"], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`expected a run id (a UUID) or "latest", got "newest"`);
  });

  it("a failure message of several lines stays under its document, every line indented", async () => {
    const s = scenario as Scenario;
    const { rows } = await s.db.pool.query<{ legacy_id: string }>(
      `UPDATE service_imports SET last_error = 'first line' || chr(10) || 'second line' || chr(13) || chr(10) || 'third' || chr(13) || 'fourth'
        WHERE id = (SELECT id FROM service_imports WHERE run_id = $1 AND status = 'failed' ORDER BY id LIMIT 1)
        RETURNING legacy_id`,
      [full.runId],
    );
    const id = rows[0]?.legacy_id as string;
    const out = await runPorter(["failures", full.runId], s.env);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).not.toContain("\r");
    const lines = out.stdout.split("\n");
    const at = lines.findIndex((l) => l.startsWith(`${JSON.stringify(id)}  not_found`));
    expect(lines.slice(at + 1, at + 5)).toEqual(["    first line", "    second line", "    third", "    fourth"]);
  });

  it("porter --version prints the CLI's version", async () => {
    const { version } = JSON.parse(readFileSync(new URL("../apps/cli/package.json", import.meta.url), "utf8")) as { version: string };
    const out = await runPorter(["--version"]);
    expect(out).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it("porter --version and --help load no store client: each command's module is imported when it runs", async () => {
    // What the process loaded through require (node-postgres, ioredis and their kin are CommonJS), said at exit.
    const report = `data:text/javascript,${encodeURIComponent(
      'import { createRequire } from "node:module"; const r = createRequire("/"); process.on("exit", () => process.stderr.write(JSON.stringify(Object.keys(r.cache))));',
    )}`;
    for (const flag of ["--version", "--help"]) {
      const out = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ["--import", report, PORTER, flag], { stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("close", (code) => resolve({ code, stderr }));
      });
      expect(out.code, out.stderr).toBe(0);
      const loaded = JSON.parse(out.stderr) as string[];
      expect(loaded.length, flag).toBeGreaterThan(0); // commander at least
      expect(loaded.filter((path) => /node_modules\/(pg|ioredis|undici|fastify|pino)\//.test(path)), flag).toEqual([]);
    }
  });

  it("output into a pipe its reader closed ends quietly, exit 0", async () => {
    const env = (scenario as Scenario).env;
    const child = spawn(process.execPath, [PORTER, "failures", full.runId, "--json"], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    // Read the first line, then close the pipe, as `| head -1` does.
    const first = await new Promise<string>((resolve) => {
      let seen = "";
      child.stdout.on("data", (d: Buffer) => {
        seen += d.toString();
        const nl = seen.indexOf("\n");
        if (nl >= 0) {
          child.stdout.destroy();
          resolve(seen.slice(0, nl));
        }
      });
    });
    const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    expect(JSON.parse(first)).toMatchObject({ kind: "not_found" });
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });
});
