/**
 * `npm run bench`: Porter against two no-queue loaders (baseline.ts: one
 * statement per document, and 100 documents per statement), one run each, on
 * the same simulator process (no faults, pages rendered ahead), the same
 * Postgres, and a fresh database each. Writes bench/results/<time>.json and
 * bench/results/latest.md, and prints the table.
 *
 * Then the page archive and the re-runs, on the same simulator and Postgres:
 * a second cold run with the workers' ARCHIVE=off (a fresh database of its
 * own), and on the first run's target: `porter run --changed` over the
 * unchanged corpus, `--changed` against a second simulator that serves the
 * same corpus with a share --touch of it edited (`legacy-sim --touch`), and
 * `--from-archive` replaying the cold run. Each counts the document requests
 * the simulator served. --no-archive-off and --no-rerun skip them.
 *
 * With --fault-mix R (default 0.05; 0 skips it) Porter runs once more against
 * a simulator that fails a share R of documents transiently on their first
 * 1–2 requests (a third each: 429 with Retry-After, 5xx, connection reset),
 * to show what retries cost.
 *
 *   npm run bench -- [--docs N] [--seed S] [--workers W] [--concurrency C] [--baseline-concurrency C] [--fault-mix R]
 *                    [--touch R] [--no-baseline] [--no-archive-off] [--no-rerun] [--no-prerender]
 *                    [--out DIR] [--db-prefix NAME] [--cpu-prof DIR]
 *
 * --out (default bench/results) and --db-prefix (default porter_bench: the
 * databases are NAME_baseline, NAME_grouped, NAME_porter, NAME_archive_off and NAME_faults,
 * kept afterwards for a look) let a test run it small without touching the
 * committed results. --cpu-prof DIR has Node write a CPU profile of every
 * Porter process and baseline into DIR/<run>/<process>/ (open one in Chrome's
 * DevTools); the profiler slows them, so figures from such a run are not
 * comparable with others.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { REDIS_URL, createTestQueue, recreateDatabase, runPorter, spawnNode, spawnPorter, startLegacySimProcess } from "@porter/testing";
import { ProcessSampler, pidsOf, rssMb } from "./proc-stats.js";
import type { RunSummary } from "@porter/runs";
import { renderMarkdown, type ArchiveFigures, type BenchResult, type RedisFigures, type SideResult } from "./report.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BASELINE = `${ROOT}bench/dist/baseline.js`;

const { values: flags } = parseArgs({
  options: {
    docs: { type: "string", default: "50000" },
    seed: { type: "string", default: "1" },
    workers: { type: "string", default: "2" },
    concurrency: { type: "string", default: "100" },
    "baseline-concurrency": { type: "string", default: "100" },
    "fault-mix": { type: "string", default: "0.05" },
    touch: { type: "string", default: "0.01" },
    "no-baseline": { type: "boolean", default: false },
    "no-archive-off": { type: "boolean", default: false },
    "no-rerun": { type: "boolean", default: false },
    "no-prerender": { type: "boolean", default: false },
    out: { type: "string", default: "" },
    "db-prefix": { type: "string", default: "porter_bench" },
    "cpu-prof": { type: "string", default: "" },
  },
});
const DOCS = Number(flags.docs);
const SEED = Number(flags.seed);
const WORKERS = Number(flags.workers);
const CONCURRENCY = Number(flags.concurrency);
const FAULT_MIX = Number(flags["fault-mix"]);
const TOUCH = Number(flags.touch);
const OUT = flags.out === "" ? `${ROOT}bench/results` : (flags.out as string);
const DB_PREFIX = flags["db-prefix"] as string;
if (!/^[a-z_][a-z0-9_]*$/.test(DB_PREFIX)) throw new RangeError(`--db-prefix must be a lower-case SQL name, got ${DB_PREFIX}`);
if (!(FAULT_MIX >= 0 && FAULT_MIX <= 1)) throw new RangeError(`--fault-mix must be a rate in [0, 1], got ${flags["fault-mix"]}`);
if (!(TOUCH > 0 && TOUCH <= 1)) throw new RangeError(`--touch must be a rate in (0, 1], got ${flags.touch}`);
if (!Number.isSafeInteger(SEED) || SEED < 0) throw new RangeError(`--seed must be a whole number, got ${flags.seed}`);
const CPU_PROF = flags["cpu-prof"] as string;
const POSTGRES = process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** Node flags for one profiled process (--cpu-prof): its profile goes to DIR/<run>/<name>/. */
function profiling(run: string, name: string): { nodeArgs?: string[] } {
  if (CPU_PROF === "") return {};
  const slug = run.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "");
  return { nodeArgs: ["--cpu-prof", "--cpu-prof-dir", `${CPU_PROF}/${slug}/${name}`] };
}

/** INFO commandstats as command → calls and microseconds (the whole server's, counted since it started). */
async function commandStats(redis: { info(section: "commandstats"): Promise<string> }): Promise<Map<string, { calls: number; usec: number }>> {
  const stats = new Map<string, { calls: number; usec: number }>();
  for (const m of (await redis.info("commandstats")).matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    stats.set(m[1] as string, { calls: Number(m[2]), usec: Number(m[3]) });
  }
  return stats;
}

/**
 * What Redis did per finished document between two commandstats readings:
 * Lua scripts (BullMQ's) called and the time spent in them, and every command
 * counted (a script's own commands included, as Redis counts them).
 */
function redisPerDocument(
  before: Map<string, { calls: number; usec: number }>,
  after: Map<string, { calls: number; usec: number }>,
  finished: number,
): RedisFigures {
  let scripts = 0;
  let scriptUsec = 0;
  let commands = 0;
  for (const [name, now] of after) {
    const was = before.get(name) ?? { calls: 0, usec: 0 };
    const calls = now.calls - was.calls;
    commands += calls;
    if (name === "evalsha" || name === "eval") {
      scripts += calls;
      scriptUsec += now.usec - was.usec;
    }
  }
  const per = (n: number) => (finished === 0 ? 0 : Math.round((n / finished) * 100) / 100);
  return { scriptsPerDocument: per(scripts), scriptUsPerDocument: per(scriptUsec), commandsPerDocument: per(commands) };
}

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

/** Document pages the simulator at `legacyUrl` has served so far (its /_sim/stats). */
async function documentsServed(legacyUrl: string): Promise<number> {
  const res = await fetch(`${legacyUrl}/_sim/stats`);
  if (!res.ok) throw new Error(`GET ${legacyUrl}/_sim/stats answered ${res.status}`);
  return ((await res.json()) as { documents: number }).documents;
}

/** Output and exit of a bench process that failed, for the error that stops the bench. */
function failure(what: string, code: number | string, stderr: string): Error {
  return new Error(`${what} exited with ${code}: ${stderr.trim().split("\n").slice(-5).join("\n")}`);
}

interface Sim {
  url: string;
  pid: number;
  stop: () => Promise<void>;
}

async function startSim(options: { faultMix?: number; touch?: number } = {}): Promise<Sim> {
  const args = ["--docs", String(DOCS), "--seed", String(SEED)];
  if (!flags["no-prerender"]) args.push("--prerender");
  const faultMix = options.faultMix ?? 0;
  if (faultMix > 0) {
    const third = String(faultMix / 3);
    args.push("--rate-limit", third, "--server-error", third, "--reset", third);
  }
  if (options.touch !== undefined) args.push("--touch", String(options.touch));
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

type BaselineMode = "per-document" | "grouped";

/** One of the no-queue loaders (baseline.ts) on a fresh database of its own. */
async function runBaseline(sim: Sim, mode: BaselineMode): Promise<SideResult> {
  const url = await recreateDatabase(`${DB_PREFIX}_${mode === "grouped" ? "grouped" : "baseline"}`, POSTGRES);
  const before = await commits(url);
  const served = await documentsServed(sim.url);
  const sampler = new ProcessSampler();
  sampler.add("simulator", () => [sim.pid]);
  sampler.add("postgres", () => pidsOf("postgres"));
  const backends = targetBackends(url);
  sampler.add("postgresTarget", backends.pids);
  const proc = spawnNode(BASELINE, [sim.url, url, mode, flags["baseline-concurrency"] as string], {}, profiling(mode, "baseline"));
  sampler.add("baseline", () => [proc.child.pid as number]);
  sampler.start();
  const code = await proc.exited;
  const processes = sampler.stop();
  await backends.stop();
  if (code !== 0) throw failure(`the ${mode} baseline`, code, proc.stderr());
  const out = JSON.parse(proc.stdout().trim()) as {
    docs: number;
    failed: number;
    durationMs: number;
    docsPerSecond: number;
    p50Ms: number;
    p95Ms: number;
  };
  return {
    ...out,
    documentRequests: (await documentsServed(sim.url)) - served,
    processes,
    postgresTransactions: (await commits(url)) - before,
  };
}


/**
 * The pids of the Postgres backends connected to the database `url`, kept up
 * to date every 200 ms for a ProcessSampler group: the machine's other
 * databases (a test suite running beside the bench) do not count there, as
 * they do in "all processes". The poller's own connection is to another database.
 */
function targetBackends(url: string): { pids: () => number[]; stop: () => Promise<void> } {
  const name = new URL(url).pathname.slice(1);
  const client = new pg.Client({ connectionString: POSTGRES });
  let pids: number[] = [];
  let busy = false;
  const connected = client.connect();
  const poll = () => {
    if (busy) return;
    busy = true;
    connected
      .then(() => client.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = $1", [name]))
      .then(({ rows }) => (pids = rows.map((r) => r.pid)))
      .catch(() => {})
      .finally(() => (busy = false));
  };
  poll();
  const timer = setInterval(poll, 200);
  return {
    pids: () => pids,
    stop: async () => {
      clearInterval(timer);
      await connected.catch(() => {});
      await client.end().catch(() => {});
    },
  };
}

interface PorterRun {
  /** Says which run failed, if one does. */
  label: string;
  /** The target database's URL. */
  database: string;
  sim: Sim;
  /** Flags of `porter run` besides --follow --json (--changed, --from-archive …). */
  flags?: string[];
  /** The workers' ARCHIVE (default on). */
  archive?: boolean;
}

/**
 * One `porter run --follow --json` with its own worker processes and queue
 * prefix, on a database that exists: its summary, the document requests the
 * simulator served meanwhile, and what every process spent.
 */
async function measurePorter(p: PorterRun): Promise<SideResult> {
  const { database: url, sim } = p;
  const before = await commits(url);
  const served = await documentsServed(sim.url);
  const queue = createTestQueue(DB_PREFIX);
  const redis = queue.redis;
  const env = {
    DATABASE_URL: url,
    REDIS_URL,
    LEGACY_URL: sim.url,
    QUEUE_PREFIX: queue.prefix,
    WORKER_CONCURRENCY: String(CONCURRENCY),
    ARCHIVE: p.archive === false ? "off" : "on",
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
  sampler.add("simulator", () => [sim.pid]);
  sampler.add("postgres", () => pidsOf("postgres"));
  const backends = targetBackends(url);
  sampler.add("postgresTarget", backends.pids);
  sampler.add("redis", () => pidsOf("redis-server"));
  const workers = Array.from({ length: WORKERS }, (_, i) => spawnPorter(["worker"], env, profiling(p.label, `worker-${i + 1}`)));
  sampler.add("workers", () => workers.map((w) => w.child.pid as number));
  const statsBefore = await commandStats(redis);
  const run = spawnPorter(["run", ...(p.flags ?? []), "--follow", "--json"], env, profiling(p.label, "enqueuer"));
  sampler.add("enqueuer", () => [run.child.pid as number]);
  sampler.start();
  const code = await run.exited;
  const workerRss = workers.map((w) => Math.round(rssMb(w.child.pid as number) ?? 0));
  const processes = sampler.stop();
  const statsAfter = await commandStats(redis);
  clearInterval(redisTimer);
  await backends.stop();
  await Promise.all(workers.map((w) => w.stop()));
  // 3: some documents failed for good, which the figures show; anything else stops the bench.
  const summary = code === 0 || code === 3 ? parseSummary(run.stdout()) : undefined;
  if (summary === undefined || summary.listingError !== null) {
    await queue.drop();
    throw failure(`porter run (${p.label})`, code, run.stderr());
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ p50: number | null; p95: number | null }>(
    `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50,
            percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95
       FROM service_imports WHERE run_id = $1 AND status = 'succeeded'`,
    [summary.runId],
  );
  await client.end();
  // Leave nothing of this run in Redis.
  await queue.drop();
  return {
    runId: summary.runId,
    docs: summary.succeeded,
    failed: summary.failed,
    listed: summary.listed,
    skipped: summary.skipped,
    durationMs: summary.durationMs,
    docsPerSecond: Math.round(summary.docsPerSecond),
    documentRequests: (await documentsServed(sim.url)) - served,
    p50Ms: Math.round((rows[0]?.p50 ?? 0) * 10) / 10,
    p95Ms: Math.round((rows[0]?.p95 ?? 0) * 10) / 10,
    processes,
    postgresTransactions: (await commits(url)) - before,
    redisPeakMb: Math.round((redisPeak / 1024 / 1024) * 10) / 10,
    redis: redisPerDocument(statsBefore, statsAfter, summary.succeeded + summary.failed + summary.skipped),
    workerRssMb: workerRss,
  };
}

function parseSummary(stdout: string): RunSummary | undefined {
  const line = stdout.trim().split("\n").at(-1);
  try {
    return line ? (JSON.parse(line) as RunSummary) : undefined;
  } catch {
    return undefined;
  }
}

/** `porter archive stats --json` on the target `url`, with the bytes per document. */
async function archiveFigures(url: string): Promise<ArchiveFigures> {
  const out = await runPorter(["archive", "stats", "--json"], { DATABASE_URL: url, REDIS_URL });
  if (out.code !== 0) throw failure("porter archive stats", out.code, out.stderr);
  const stats = JSON.parse(out.stdout.trim()) as { pages: number; documents: number; rawBytes: number; storedBytes: number };
  const perDocument = (bytes: number) => (stats.documents === 0 ? 0 : Math.round(bytes / stats.documents));
  return { ...stats, rawBytesPerDocument: perDocument(stats.rawBytes), storedBytesPerDocument: perDocument(stats.storedBytes) };
}

const note = (what: string, side: SideResult) =>
  process.stderr.write(
    `${what}: ${side.docsPerSecond} docs/s, ${(side.durationMs / 1000).toFixed(1)} s, ${side.documentRequests ?? "?"} document requests\n`,
  );

const rerun = !flags["no-rerun"];
// What `turbo run build` just built, read before anything runs.
const source = sourceState();
const sim = await startSim();
let porter: SideResult;
let baseline: SideResult | undefined;
let grouped: SideResult | undefined;
let archive: ArchiveFigures;
let archiveOff: SideResult | undefined;
let changedUnchanged: SideResult | undefined;
let changedTouched: SideResult | undefined;
let replay: SideResult | undefined;
// The target of the cold run, which the re-runs read and write again.
const target = await recreateDatabase(`${DB_PREFIX}_porter`, POSTGRES);
try {
  if (!flags["no-baseline"]) {
    baseline = await runBaseline(sim, "per-document");
    note("baseline, per document", baseline);
    grouped = await runBaseline(sim, "grouped");
    note("baseline, grouped", grouped);
  }
  porter = await measurePorter({ label: "cold", database: target, sim });
  note("porter", porter);
  archive = await archiveFigures(target);
  if (rerun) {
    changedUnchanged = await measurePorter({ label: "--changed, unchanged", database: target, sim, flags: ["--changed"] });
    note("porter --changed, unchanged", changedUnchanged);
  }
  if (!flags["no-archive-off"]) {
    const fresh = await recreateDatabase(`${DB_PREFIX}_archive_off`, POSTGRES);
    archiveOff = await measurePorter({ label: "ARCHIVE=off", database: fresh, sim, archive: false });
    note("porter, ARCHIVE=off", archiveOff);
  }
} finally {
  await sim.stop();
}
if (rerun) {
  // The same corpus with a share of it edited since: the workers read this simulator now.
  const touched = await startSim({ touch: TOUCH });
  try {
    changedTouched = await measurePorter({ label: "--changed, touched", database: target, sim: touched, flags: ["--changed"] });
    note(`porter --changed, ${TOUCH * 100}% touched`, changedTouched);
    replay = await measurePorter({
      label: "--from-archive",
      database: target,
      sim: touched,
      flags: ["--from-archive", "--of", porter.runId as string],
    });
    note("porter --from-archive", replay);
  } finally {
    await touched.stop();
  }
}
let withFaults: SideResult | undefined;
if (FAULT_MIX > 0) {
  const faulty = await startSim({ faultMix: FAULT_MIX });
  try {
    const fresh = await recreateDatabase(`${DB_PREFIX}_faults`, POSTGRES);
    withFaults = await measurePorter({ label: "transient faults", database: fresh, sim: faulty });
    note(`porter, ${FAULT_MIX * 100}% transient faults`, withFaults);
  } finally {
    await faulty.stop();
  }
}
/**
 * The commit the bench ran on, and whether the tree held changes outside
 * bench/ and its test (what was built is what was measured); undefined outside a git
 * checkout. Read-only: no optional locks, so the index is never written.
 */
function sourceState(): string | undefined {
  try {
    const git = (...args: string[]) =>
      execFileSync("git", ["--no-optional-locks", ...args], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const commit = git("rev-parse", "--short", "HEAD");
    return git("status", "--porcelain", "--", ".", ":(exclude)bench", ":(exclude)e2e/bench.test.ts") === "" ? commit : `${commit}, with uncommitted changes outside bench/`;
  } catch {
    return undefined;
  }
}

const ratio = (a: SideResult | undefined, b: SideResult | undefined) =>
  a && b ? Math.round((a.docsPerSecond / b.docsPerSecond) * 100) / 100 : undefined;
const result: BenchResult = {
  date: new Date().toISOString(),
  machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  commit: source,
  docs: DOCS,
  seed: SEED,
  workers: WORKERS,
  concurrency: CONCURRENCY,
  baselineConcurrency: Number(flags["baseline-concurrency"]),
  prerender: !flags["no-prerender"],
  porter,
  baseline,
  ratio: ratio(porter, baseline),
  grouped,
  groupedRatio: ratio(porter, grouped),
  faultMix: withFaults ? FAULT_MIX : undefined,
  withFaults,
  faultRatio: ratio(withFaults, porter),
  archive,
  archiveOff,
  archiveRatio: ratio(porter, archiveOff),
  changedUnchanged,
  touch: changedTouched ? TOUCH : undefined,
  changedTouched,
  replay,
  replayRatio: ratio(replay, porter),
};
mkdirSync(OUT, { recursive: true });
const stamp = result.date.replace(/[:.]/g, "-");
writeFileSync(`${OUT}/${stamp}.json`, `${JSON.stringify(result, null, 2)}\n`);
const markdown = renderMarkdown(result);
writeFileSync(`${OUT}/latest.md`, markdown);
process.stdout.write(markdown);
