import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { POSTGRES_URL, REDIS_URL, uniqueName } from "@porter/testing";

// `npm run bench`, small: the harness itself, end to end (simulator, baseline,
// Porter's enqueuer and worker processes, the faulty second run, the report).
// Its figures are not asserted: speed is measured by the benchmark, not tested.

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DOCS = 600;
const prefix = uniqueName("porter_bench_t");
const out = mkdtempSync(`${tmpdir()}/porter-bench-`);

afterAll(async () => {
  rmSync(out, { recursive: true, force: true });
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  for (const side of ["baseline", "porter"]) await admin.query(`DROP DATABASE IF EXISTS "${prefix}_${side}" WITH (FORCE)`);
  await admin.end();
});

interface Side {
  docs: number;
  failed: number;
  docsPerSecond: number;
  processes: Record<string, { cpuSeconds: number; peakRssMb: number }>;
  postgresTransactions: number;
  redisPeakMb?: number;
}

describe("npm run bench", () => {
  it("migrates the corpus with the baseline, with Porter and with Porter under transient faults, and reports all three", async () => {
    const { stdout } = await run(
      process.execPath,
      [
        `${ROOT}bench/dist/main.js`,
        // The baseline opens one Postgres connection per document in flight: 100 by default
        // would take the machine's max_connections (100) from the test files running beside it.
        ...["--docs", String(DOCS), "--workers", "1", "--concurrency", "20", "--baseline-concurrency", "20", "--fault-mix", "0.1"],
        ...["--out", out, "--db-prefix", prefix],
      ],
      { env: { ...process.env, BENCH_POSTGRES_URL: POSTGRES_URL, REDIS_URL }, timeout: 150_000 },
    );

    const files = readdirSync(out).sort();
    expect(files).toHaveLength(2);
    expect(files[1]).toBe("latest.md");
    const result = JSON.parse(readFileSync(`${out}/${files[0]}`, "utf8")) as {
      docs: number;
      porter: Side;
      baseline: Side;
      withFaults: Side;
      ratio: number;
      faultMix: number;
      faultRatio: number;
    };
    expect(result.docs).toBe(DOCS);
    for (const side of [result.porter, result.baseline, result.withFaults]) {
      expect(side).toMatchObject({ docs: DOCS, failed: 0 });
      expect(side.docsPerSecond).toBeGreaterThan(0);
      expect(side.postgresTransactions).toBeGreaterThan(0);
    }
    for (const group of ["simulator", "enqueuer", "workers", "redis", "postgres"]) {
      expect(result.porter.processes[group]?.cpuSeconds).toBeGreaterThan(0);
    }
    expect(result.baseline.processes.baseline?.peakRssMb).toBeGreaterThan(0);
    // One transaction per document for the baseline; group commit for Porter.
    expect(result.baseline.postgresTransactions).toBeGreaterThanOrEqual(DOCS);
    // The faulty run retried: its failed attempts were written to the ledger.
    expect(result.withFaults.postgresTransactions).toBeGreaterThan(result.porter.postgresTransactions);
    expect(result.faultMix).toBe(0.1);
    expect(result.ratio).toBeCloseTo(result.porter.docsPerSecond / result.baseline.docsPerSecond, 1);
    expect(result.faultRatio).toBeCloseTo(result.withFaults.docsPerSecond / result.porter.docsPerSecond, 1);

    const markdown = readFileSync(`${out}/latest.md`, "utf8");
    expect(stdout).toBe(markdown);
    expect(markdown).toContain(`| docs/s | ${result.porter.docsPerSecond} | ${result.withFaults.docsPerSecond} | ${result.baseline.docsPerSecond} |`);
    expect(markdown).toContain(`**Porter ÷ baseline: ${result.ratio}×** docs/s.`);
    expect(markdown).toContain(`**With 10% transient faults ÷ without: ${result.faultRatio}×** docs/s.`);
  }, 180_000);
});
