/**
 * `npm run bench`: Porter against the baseline script, one run each, on the
 * same simulator process (no faults, pages rendered ahead), the same
 * Postgres, and a fresh database each. Writes bench/results/<time>.json and
 * bench/results/latest.md, and prints the table.
 *
 * With --fault-mix R (default 0.05; 0 skips it) Porter runs a second time
 * against a simulator that fails a share R of documents transiently on their
 * first 1–2 requests (a third each: 429 with Retry-After, 5xx, connection
 * reset), to show what retries cost.
 *
 *   npm run bench -- [--docs N] [--workers W] [--concurrency C] [--baseline-concurrency C] [--fault-mix R]
 *                    [--no-baseline] [--no-prerender]
 *                    [--out DIR] [--db-prefix NAME]
 *
 * --out (default bench/results) and --db-prefix (default porter_bench: the
 * databases are NAME_baseline and NAME_porter, kept afterwards for a look) let
 * a test run it small without touching the committed results.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { REDIS_URL, createTestQueue, recreateDatabase, spawnNode, spawnPorter, startLegacySimProcess } from "@porter/testing";
import { ProcessSampler, pidsOf, rssMb } from "./proc-stats.js";
import { renderMarkdown, type BenchResult, type SideResult } from "./report.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BASELINE = `${ROOT}bench/dist/baseline.js`;

const { values: flags } = parseArgs({
  options: {
    docs: { type: "string", default: "50000" },
    workers: { type: "string", default: "2" },
    concurrency: { type: "string", default: "100" },
    "baseline-concurrency": { type: "string", default: "100" },
    "fault-mix": { type: "string", default: "0.05" },
    "no-baseline": { type: "boolean", default: false },
    "no-prerender": { type: "boolean", default: false },
    out: { type: "string", default: "" },
    "db-prefix": { type: "string", default: "porter_bench" },
  },
});
const DOCS = Number(flags.docs);
const WORKERS = Number(flags.workers);
const CONCURRENCY = Number(flags.concurrency);
const FAULT_MIX = Number(flags["fault-mix"]);
const OUT = flags.out === "" ? `${ROOT}bench/results` : (flags.out as string);
const DB_PREFIX = flags["db-prefix"] as string;
if (!/^[a-z_][a-z0-9_]*$/.test(DB_PREFIX)) throw new RangeError(`--db-prefix must be a lower-case SQL name, got ${DB_PREFIX}`);
if (!(FAULT_MIX >= 0 && FAULT_MIX <= 1)) throw new RangeError(`--fault-mix must be a rate in [0, 1], got ${flags["fault-mix"]}`);
const POSTGRES = process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

async function commits(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  // The statistics collector lags a little; let it catch up.
  await new Promise((r) => setTimeout(r, 800));
  const { rows } = await client.query<{ n: string }>(
    "SELECT xact_commit::text AS n FROM pg_stat_database WHERE datname = current_database()",
  );
  await client.end();
  return Number(rows[0]?.n ?? 0);
}

/** Output and exit of a bench process that failed, for the error that stops the bench. */
function failure(what: string, code: number | string, stderr: string): Error {
  return new Error(`${what} exited with ${code}: ${stderr.trim().split("\n").slice(-5).join("\n")}`);
}

async function startSim(faultMix = 0): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const args = ["--docs", String(DOCS)];
  if (!flags["no-prerender"]) args.push("--prerender");
  if (faultMix > 0) {
    const third = String(faultMix / 3);
    args.push("--rate-limit", third, "--server-error", third, "--reset", third);
  }
  const t0 = Date.now();
  // Rendering a large corpus ahead takes a while: a minute per 100k documents is ample.
  const sim = await startLegacySimProcess(args, { timeoutMs: 60_000 + DOCS * 0.6 });
  process.stderr.write(`simulator ready in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  return {
    url: sim.url,
    pid: sim.process.child.pid as number,
    stop: async () => {
      await sim.process.stop();
    },
  };
}

async function runBaseline(legacyUrl: string, simPid: number): Promise<SideResult> {
  const url = await recreateDatabase(`${DB_PREFIX}_baseline`, POSTGRES);
  const before = await commits(url);
  const sampler = new ProcessSampler();
  sampler.add("simulator", () => [simPid]);
  sampler.add("postgres", () => pidsOf("postgres"));
  const proc = spawnNode(BASELINE, [legacyUrl, url, flags["baseline-concurrency"] as string]);
  sampler.add("baseline", () => [proc.child.pid as number]);
  sampler.start();
  const code = await proc.exited;
  const processes = sampler.stop();
  if (code !== 0) throw failure("the baseline", code, proc.stderr());
  const out = JSON.parse(proc.stdout().trim()) as {
    docs: number;
    failed: number;
    durationMs: number;
    docsPerSecond: number;
    p50Ms: number;
    p95Ms: number;
  };
  return { ...out, processes, postgresTransactions: (await commits(url)) - before };
}

async function runPorter(legacyUrl: string, simPid: number): Promise<SideResult> {
  const url = await recreateDatabase(`${DB_PREFIX}_porter`, POSTGRES);
  const before = await commits(url);
  const queue = createTestQueue(DB_PREFIX);
  const redis = queue.redis;
  const env = {
    DATABASE_URL: url,
    REDIS_URL,
    LEGACY_URL: legacyUrl,
    QUEUE_PREFIX: queue.prefix,
    WORKER_CONCURRENCY: String(CONCURRENCY),
  };
  let redisPeak = 0;
  const redisTimer = setInterval(() => {
    redis
      .info("memory")
      .then((info) => {
        const used = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
        redisPeak = Math.max(redisPeak, used);
      })
      .catch(() => {});
  }, 200);
  const sampler = new ProcessSampler();
  sampler.add("simulator", () => [simPid]);
  sampler.add("postgres", () => pidsOf("postgres"));
  sampler.add("redis", () => pidsOf("redis-server"));
  const workers = Array.from({ length: WORKERS }, () => spawnPorter(["worker"], env));
  sampler.add("workers", () => workers.map((w) => w.child.pid as number));
  const run = spawnPorter(["run", "--follow", "--json"], env);
  sampler.add("enqueuer", () => [run.child.pid as number]);
  sampler.start();
  const code = await run.exited;
  const workerRss = workers.map((w) => Math.round(rssMb(w.child.pid as number) ?? 0));
  const processes = sampler.stop();
  clearInterval(redisTimer);
  await Promise.all(workers.map((w) => w.stop()));
  if (code !== 0) {
    await queue.drop();
    throw failure("porter run", code, run.stderr());
  }
  const summary = JSON.parse(run.stdout().trim()) as { succeeded: number; failed: number; durationMs: number; docsPerSecond: number };
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ p50: number; p95: number }>(
    `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50,
            percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95
       FROM service_imports WHERE status = 'succeeded'`,
  );
  await client.end();
  // Leave nothing of this run in Redis.
  await queue.drop();
  return {
    docs: summary.succeeded,
    failed: summary.failed,
    durationMs: summary.durationMs,
    docsPerSecond: Math.round(summary.docsPerSecond),
    p50Ms: Math.round((rows[0]?.p50 ?? 0) * 10) / 10,
    p95Ms: Math.round((rows[0]?.p95 ?? 0) * 10) / 10,
    processes,
    postgresTransactions: (await commits(url)) - before,
    redisPeakMb: Math.round((redisPeak / 1024 / 1024) * 10) / 10,
    workerRssMb: workerRss,
  };
}

const sim = await startSim();
let porter: SideResult;
let baseline: SideResult | undefined;
try {
  baseline = flags["no-baseline"] ? undefined : await runBaseline(sim.url, sim.pid);
  if (baseline) process.stderr.write(`baseline: ${baseline.docsPerSecond} docs/s\n`);
  porter = await runPorter(sim.url, sim.pid);
  process.stderr.write(`porter: ${porter.docsPerSecond} docs/s\n`);
} finally {
  await sim.stop();
}
let withFaults: SideResult | undefined;
if (FAULT_MIX > 0) {
  const faulty = await startSim(FAULT_MIX);
  try {
    withFaults = await runPorter(faulty.url, faulty.pid);
    process.stderr.write(`porter, ${FAULT_MIX * 100}% transient faults: ${withFaults.docsPerSecond} docs/s\n`);
  } finally {
    await faulty.stop();
  }
}
const ratio = (a: SideResult, b: SideResult | undefined) =>
  b ? Math.round((a.docsPerSecond / b.docsPerSecond) * 100) / 100 : undefined;
const result: BenchResult = {
  date: new Date().toISOString(),
  machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  docs: DOCS,
  workers: WORKERS,
  concurrency: CONCURRENCY,
  baselineConcurrency: Number(flags["baseline-concurrency"]),
  prerender: !flags["no-prerender"],
  porter,
  baseline,
  ratio: ratio(porter, baseline),
  faultMix: withFaults ? FAULT_MIX : undefined,
  withFaults,
  faultRatio: withFaults ? ratio(withFaults, porter) : undefined,
};
mkdirSync(OUT, { recursive: true });
const stamp = result.date.replace(/[:.]/g, "-");
writeFileSync(`${OUT}/${stamp}.json`, `${JSON.stringify(result, null, 2)}\n`);
const markdown = renderMarkdown(result);
writeFileSync(`${OUT}/latest.md`, markdown);
process.stdout.write(markdown);
