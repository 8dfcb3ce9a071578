import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCorpus } from "@porter/legacy-sim";
import { POSTGRES_URL, startPrivateRedis, uniqueName, type PrivateRedis } from "@porter/testing";

// `npm run bench`, small: the harness itself, end to end (simulator, baseline,
// Porter's enqueuer and worker processes, the cold run with ARCHIVE=off, the
// re-runs with --changed and --from-archive, the faulty run, the report).
// Its speed figures are not asserted: speed is measured by the benchmark, not
// tested; what it counts (document requests, bytes, documents) is.

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DOCS = 600;
const SEED = 1;
const TOUCH = 0.01;
const prefix = uniqueName("porter_bench_t");
const out = mkdtempSync(`${tmpdir()}/porter-bench-`);
// Outside `out`, whose files the test counts.
const profiles = mkdtempSync(`${tmpdir()}/porter-bench-profiles-`);

// A Redis of its own: the bench counts what Redis did per document from the server's
// INFO commandstats, which the other test files' queues would add to on a shared one.
let redis: PrivateRedis;
beforeAll(async () => {
  redis = await startPrivateRedis();
});

afterAll(async () => {
  await redis?.stop();
  rmSync(out, { recursive: true, force: true });
  rmSync(profiles, { recursive: true, force: true });
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  for (const side of ["baseline", "grouped", "porter", "archive_off", "faults"]) await admin.query(`DROP DATABASE IF EXISTS "${prefix}_${side}" WITH (FORCE)`);
  await admin.end();
});

interface Side {
  runId?: string;
  docs: number;
  failed: number;
  listed?: number;
  skipped?: number;
  durationMs: number;
  docsPerSecond: number;
  documentRequests?: number;
  processes: Record<string, { cpuSeconds: number; peakRssMb: number }>;
  postgresTransactions: number;
  redisPeakMb?: number;
  redis?: { scriptsPerDocument: number; scriptUsPerDocument: number; commandsPerDocument: number };
}

describe("npm run bench", () => {
  it("migrates the corpus with the baseline, with Porter with and without the archive, again with --changed and --from-archive, and under transient faults, and reports them all", async () => {
    const { stdout } = await run(
      process.execPath,
      [
        `${ROOT}bench/dist/main.js`,
        // The baseline opens one Postgres connection per document in flight: 100 by default
        // would take the machine's max_connections (100) from the test files running beside it.
        ...["--docs", String(DOCS), "--workers", "1", "--concurrency", "20", "--baseline-concurrency", "20", "--fault-mix", "0.1"],
        ...["--seed", String(SEED), "--touch", String(TOUCH)],
        ...["--out", out, "--db-prefix", prefix, "--cpu-prof", `${profiles}`],
      ],
      { env: { ...process.env, BENCH_POSTGRES_URL: POSTGRES_URL, REDIS_URL: redis.url }, timeout: 240_000 },
    );

    // --cpu-prof: a profile per process, named after its run and its role.
    for (const dir of ["cold/worker-1", "cold/enqueuer", "ARCHIVE-off/worker-1", "per-document/baseline", "grouped/baseline"]) {
      const written = readdirSync(`${profiles}/${dir}`);
      expect(written, dir).toHaveLength(1);
      const profile = JSON.parse(readFileSync(`${profiles}/${dir}/${written[0]}`, "utf8")) as { nodes: unknown[]; samples: unknown[] };
      expect(profile.nodes.length, dir).toBeGreaterThan(0);
    }

    const files = readdirSync(out).sort();
    expect(files).toHaveLength(2);
    expect(files[1]).toBe("latest.md");
    const result = JSON.parse(readFileSync(`${out}/${files[0]}`, "utf8")) as {
      docs: number;
      porter: Side;
      baseline: Side;
      grouped: Side;
      withFaults: Side;
      ratio: number;
      groupedRatio: number;
      faultMix: number;
      faultRatio: number;
      archive: { pages: number; documents: number; rawBytes: number; storedBytes: number; rawBytesPerDocument: number; storedBytesPerDocument: number };
      archiveOff: Side;
      archiveRatio: number;
      changedUnchanged: Side;
      touch: number;
      changedTouched: Side;
      replay: Side;
      replayRatio: number;
    };
    expect(result.docs).toBe(DOCS);
    for (const side of [result.porter, result.baseline, result.grouped, result.withFaults, result.archiveOff]) {
      expect(side).toMatchObject({ docs: DOCS, failed: 0 });
      expect(side.docsPerSecond).toBeGreaterThan(0);
      expect(side.postgresTransactions).toBeGreaterThan(0);
    }
    // BullMQ: a job added, then moved to active and to completed, for a chunk of JOB_DOCUMENTS
    // (25) documents, besides the workers' lock renewals and stalled checks (a job per document
    // would make it 2 or more).
    expect(result.porter.redis?.scriptsPerDocument).toBeGreaterThanOrEqual(2 / 25);
    // 3/25 = 0.12 measured; a chunk of 10 would make 0.3.
    expect(result.porter.redis?.scriptsPerDocument).toBeLessThan(0.25);
    expect(result.porter.redis?.scriptUsPerDocument).toBeGreaterThan(0);
    expect(result.porter.redis?.commandsPerDocument).toBeGreaterThan(result.porter.redis?.scriptsPerDocument ?? 0);
    for (const group of ["simulator", "enqueuer", "workers", "redis", "postgres"]) {
      expect(result.porter.processes[group]?.cpuSeconds).toBeGreaterThan(0);
    }
    expect(result.baseline.processes.baseline?.peakRssMb).toBeGreaterThan(0);
    expect(result.grouped.processes.baseline?.peakRssMb).toBeGreaterThan(0);
    // One transaction per document for the per-document baseline; groups for the other, and group commit for Porter.
    expect(result.baseline.postgresTransactions).toBeGreaterThanOrEqual(DOCS);
    expect(result.grouped.postgresTransactions).toBeLessThan(DOCS / 2);
    // The faulty run retried: its failed attempts were written to the ledger.
    expect(result.withFaults.postgresTransactions).toBeGreaterThan(result.porter.postgresTransactions);
    expect(result.faultMix).toBe(0.1);
    expect(result.ratio).toBeCloseTo(result.porter.docsPerSecond / result.baseline.docsPerSecond, 1);
    expect(result.groupedRatio).toBeCloseTo(result.porter.docsPerSecond / result.grouped.docsPerSecond, 1);
    expect(result.faultRatio).toBeCloseTo(result.withFaults.docsPerSecond / result.porter.docsPerSecond, 1);

    // Every cold run asks for each document once; the faulty one asks again for what failed.
    expect(result.porter.documentRequests).toBe(DOCS);
    expect(result.archiveOff.documentRequests).toBe(DOCS);
    expect(result.baseline.documentRequests).toBe(DOCS);
    expect(result.grouped.documentRequests).toBe(DOCS);
    expect(result.withFaults.documentRequests).toBeGreaterThan(DOCS);

    // The cold run kept one page per document; ARCHIVE=off ran on a database of its own.
    expect(result.archive).toMatchObject({ pages: DOCS, documents: DOCS });
    expect(result.archive.rawBytes).toBeGreaterThan(0);
    expect(result.archive.storedBytes).toBeGreaterThan(0);
    expect(result.archive.rawBytesPerDocument).toBe(Math.round(result.archive.rawBytes / DOCS));
    expect(result.archive.storedBytesPerDocument).toBe(Math.round(result.archive.storedBytes / DOCS));
    expect(result.archiveRatio).toBeCloseTo(result.porter.docsPerSecond / result.archiveOff.docsPerSecond, 1);

    // --changed over the same corpus fetches only what failed: nothing.
    expect(result.changedUnchanged).toMatchObject({ listed: DOCS, docs: 0, failed: 0, skipped: DOCS, documentRequests: result.porter.failed });
    // Against the touched corpus, exactly the touched documents.
    const corpus = createCorpus({ docs: DOCS, seed: SEED, touched: TOUCH });
    const touched = Array.from({ length: DOCS }, (_, i) => i).filter((i) => corpus.touched(i)).length;
    expect(touched).toBeGreaterThan(0);
    expect(result.touch).toBe(TOUCH);
    expect(result.changedTouched).toMatchObject({ listed: DOCS, docs: touched, failed: 0, skipped: DOCS - touched, documentRequests: touched });
    // The replay of the cold run asks the simulator for nothing and writes every document.
    expect(result.replay).toMatchObject({ listed: DOCS, docs: DOCS, failed: 0, documentRequests: 0 });
    expect(result.replayRatio).toBeCloseTo(result.replay.docsPerSecond / result.porter.docsPerSecond, 1);
    expect(new Set([result.porter.runId, result.changedUnchanged.runId, result.changedTouched.runId, result.replay.runId]).size).toBe(4);

    const markdown = readFileSync(`${out}/latest.md`, "utf8");
    expect(stdout).toBe(markdown);
    expect(markdown).toContain(
      `| docs/s | ${result.porter.docsPerSecond} | ${result.withFaults.docsPerSecond} | ${result.baseline.docsPerSecond} | ${result.grouped.docsPerSecond} |`,
    );
    expect(markdown).toContain(`**Porter ÷ baseline: ${result.ratio}×** docs/s.`);
    expect(markdown).toContain(`**Porter ÷ grouped baseline: ${result.groupedRatio}×** docs/s.`);
    expect(markdown).toMatch(/\| CPU per document, all processes \| \d+\.\d{3} ms \|/);
    const r = result.porter.redis;
    expect(markdown).toContain(`| Redis per document: scripts (µs in them) / commands | ${r?.scriptsPerDocument} (${r?.scriptUsPerDocument} µs) / ${r?.commandsPerDocument} |`);
    expect(markdown).toContain(`**With 10% transient faults ÷ without: ${result.faultRatio}×** docs/s.`);
    expect(markdown).toContain(`| document requests to the simulator | ${DOCS} | ${DOCS} | 0 | ${touched} | 0 |`);
    expect(markdown).toContain(`**ARCHIVE=on ÷ ARCHIVE=off: ${result.archiveRatio}×** docs/s`);
    expect(markdown).toContain(`**Archive: ${result.archive.storedBytesPerDocument} bytes stored per document** (${result.archive.rawBytesPerDocument} as served`);
    expect(markdown).toContain(`**--changed, nothing changed: 0 document requests**`);
    expect(markdown).toContain(`**--changed, 1% touched: ${touched} document requests**`);
    expect(markdown).toContain(`**--from-archive: 0 document requests, ${result.replay.docsPerSecond} docs/s, ${result.replayRatio}× the cold run**`);

    // The baselines do the same work as a cold run of Porter (the one with ARCHIVE=off: the first
    // one's target holds the re-runs too): the same documents, attachments and succeeded ledger rows.
    const contents = async (side: string) => {
      const url = new URL(POSTGRES_URL);
      url.pathname = `/${prefix}_${side}`;
      const db = new pg.Client({ connectionString: url.toString() });
      await db.connect();
      try {
        const { rows } = await db.query<{ digest: string }>(
          `SELECT md5(string_agg(d.legacy_id || d.title || d.body || d.tags::text || d.updated_at::text || coalesce(a.attachments, ''), ',' ORDER BY d.legacy_id))
                  || ':' || (SELECT count(*) FROM service_imports WHERE status = 'succeeded') AS digest
             FROM documents d
             LEFT JOIN LATERAL (SELECT string_agg(name || url || size_bytes, ',' ORDER BY position) AS attachments
                                  FROM document_attachments WHERE document_id = d.id) a ON true`,
        );
        return rows[0]?.digest;
      } finally {
        await db.end();
      }
    };
    const cold = await contents("archive_off");
    expect(cold).toMatch(new RegExp(`:${DOCS}$`));
    expect(await contents("baseline")).toBe(cold);
    expect(await contents("grouped")).toBe(cold);
  }, 270_000);
});
