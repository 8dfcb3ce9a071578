import type { GroupStats } from "./proc-stats.js";

export interface SideResult {
  /** Porter's run id (absent for the baseline). */
  runId?: string;
  /** Documents written (Porter: succeeded). */
  docs: number;
  failed: number;
  /** Porter: documents listed, and of them skipped as unchanged (`--changed`); absent in older results. */
  listed?: number;
  skipped?: number;
  durationMs: number;
  /** Porter: finished documents (succeeded, failed and skipped) per second of the run. */
  docsPerSecond: number;
  /** Document pages the simulator served during this run; absent in older results. */
  documentRequests?: number;
  p50Ms: number;
  p95Ms: number;
  processes: Record<string, GroupStats>;
  postgresTransactions: number;
  redisPeakMb?: number;
  /** Porter: Redis commandstats over the run, per finished document; absent in older results. */
  redis?: RedisFigures;
  workerRssMb?: number[];
}

/** What Redis did per finished document, from INFO commandstats (the whole server's). */
export interface RedisFigures {
  /** Lua script calls (EVALSHA, EVAL): BullMQ's job moves. */
  scriptsPerDocument: number;
  /** Microseconds Redis spent in them. */
  scriptUsPerDocument: number;
  /** Every command, a script's own included. */
  commandsPerDocument: number;
}

/** `porter archive stats --json` after the cold run, with the bytes per document. */
export interface ArchiveFigures {
  pages: number;
  documents: number;
  rawBytes: number;
  storedBytes: number;
  rawBytesPerDocument: number;
  storedBytesPerDocument: number;
}

export interface BenchResult {
  date: string;
  machine: string;
  /** The commit measured (and whether the tree had changes outside bench/); absent in older results. */
  commit?: string | undefined;
  docs: number;
  /** The simulator's corpus seed; absent in older results: 1. */
  seed?: number;
  workers: number;
  concurrency: number;
  /** Documents the baseline has in flight (one Postgres connection each); absent in older results: 100. */
  baselineConcurrency?: number;
  prerender: boolean;
  /** The cold run (workers with ARCHIVE=on). */
  porter: SideResult;
  /** The per-document loader: one statement per document (baseline.ts per-document). */
  baseline: SideResult | undefined;
  /** porter ÷ baseline docs/s. */
  ratio: number | undefined;
  /** The grouped loader: 100 documents per statement (baseline.ts grouped); absent in older results. */
  grouped?: SideResult | undefined;
  /** porter ÷ grouped docs/s. */
  groupedRatio?: number | undefined;
  /** Share of documents failing transiently in the faulty Porter run (absent: not run). */
  faultMix?: number | undefined;
  withFaults?: SideResult | undefined;
  /** withFaults ÷ porter docs/s. */
  faultRatio?: number | undefined;
  /** What the cold run left in the page archive (absent in older results). */
  archive?: ArchiveFigures | undefined;
  /** A cold run on a fresh database with the workers' ARCHIVE=off. */
  archiveOff?: SideResult | undefined;
  /** porter (archive on) ÷ archiveOff docs/s. */
  archiveRatio?: number | undefined;
  /** `porter run --changed` on the cold run's target, right after it, nothing changed at the source. */
  changedUnchanged?: SideResult | undefined;
  /** Share of documents the second simulator serves edited (`legacy-sim --touch`). */
  touch?: number | undefined;
  /** `porter run --changed` on the same target against that simulator. */
  changedTouched?: SideResult | undefined;
  /** `porter run --from-archive --of <the cold run>` on the same target, after the two above. */
  replay?: SideResult | undefined;
  /** replay ÷ porter docs/s. */
  replayRatio?: number | undefined;
}

type Column = [string, SideResult | undefined];
type Row = [string, (side: SideResult) => string];

/** One table of runs side by side; a run without a figure shows "—". */
function table(sides: Column[], rows: Row[]): string[] {
  return [
    `| | ${sides.map(([label]) => label).join(" | ")} |`,
    `|---|${sides.map(() => "---|").join("")}`,
    ...rows.map(([name, cell]) => `| ${name} | ${sides.map(([, side]) => (side ? cell(side) : "—")).join(" | ")} |`),
  ];
}

const cpu = (group: string) => (side: SideResult) => {
  const g = side.processes[group];
  return g ? `${g.cpuSeconds} s / ${g.peakRssMb} MB` : "—";
};
const seconds = (side: SideResult) => `${(side.durationMs / 1000).toFixed(1)} s`;

/** The tables the README shows. */
export function renderMarkdown(r: BenchResult): string {
  const sides: Column[] = [
    ["Porter", r.porter],
    ...(r.withFaults ? [[`Porter, ${pct(r.faultMix ?? 0)} transient faults`, r.withFaults] as Column] : []),
    [`baseline: one statement per document, ${r.baselineConcurrency ?? 100} fetched at a time`, r.baseline],
    ...(r.grouped ? [["baseline: grouped, 100 documents per statement", r.grouped] as Column] : []),
  ];
  const lines = [
    `Benchmark of ${r.date} — ${r.docs} documents, Porter ${r.workers} workers × concurrency ${r.concurrency}, ` +
      `simulator ${r.prerender ? "pre-rendered" : "rendering live"}; ${r.machine}${r.commit === undefined ? "" : `; commit ${r.commit}`}`,
    "",
    ...table(sides, [
      ["docs/s", (s) => String(s.docsPerSecond)],
      ["documents (failed)", (s) => `${s.docs} (${s.failed})`],
      ["wall time", seconds],
      ["p50 / p95 per document", (s) => `${s.p50Ms} / ${s.p95Ms} ms`],
      ["CPU / peak RSS: simulator", cpu("simulator")],
      ["CPU / peak RSS: enqueuer", cpu("enqueuer")],
      ["CPU / peak RSS: workers (all) / baseline", (s) => (s.processes.workers ? cpu("workers")(s) : cpu("baseline")(s))],
      ["CPU / peak RSS: Redis", cpu("redis")],
      ["CPU / peak RSS: Postgres (all processes)", cpu("postgres")],
      // Absent in older results.
      ...(sides.some(([, side]) => side?.processes.postgresTarget)
        ? [["CPU: Postgres (the target's backends)", cpuOnly("postgresTarget")] as Row]
        : []),
      ["Redis peak memory", (s) => (s.redisPeakMb === undefined ? "—" : `${s.redisPeakMb} MB`)],
      ...(sides.some(([, side]) => side?.redis) ? [["Redis per document: scripts (µs in them) / commands", redisCell] as Row] : []),
      ["Postgres transactions", (s) => String(s.postgresTransactions)],
      ["CPU per document, all processes", cpuPerDocument],
    ]),
    "",
    r.ratio === undefined ? "" : `**Porter ÷ baseline: ${r.ratio}×** docs/s.`,
    "",
    r.groupedRatio === undefined ? "" : `**Porter ÷ grouped baseline: ${r.groupedRatio}×** docs/s.`,
    "",
    r.faultRatio === undefined ? "" : `**With ${pct(r.faultMix ?? 0)} transient faults ÷ without: ${r.faultRatio}×** docs/s.`,
    "",
    ...rerunSection(r),
  ];
  return lines.join("\n");
}

/** The archive's cost and the re-runs (--changed, --from-archive); nothing for a result without them. */
function rerunSection(r: BenchResult): string[] {
  if (!r.archiveOff && !r.changedUnchanged && !r.changedTouched && !r.replay) return [];
  const sides: Column[] = [
    ["cold, ARCHIVE=on (Porter above)", r.porter],
    ["cold, ARCHIVE=off", r.archiveOff],
    ["--changed, unchanged", r.changedUnchanged],
    [`--changed, ${pct(r.touch ?? 0)} touched`, r.changedTouched],
    ["--from-archive (replay of the cold run)", r.replay],
  ].filter(([, side]) => side !== undefined) as Column[];
  // Only what ran: --no-rerun leaves the cold run with ARCHIVE=off alone.
  const ran = [
    r.archiveOff && "the cold run with the workers' `ARCHIVE=off` (a fresh database)",
    r.changedUnchanged && "on the cold run's target `porter run --changed` (same corpus)",
    r.changedTouched && `\`--changed\` against a simulator serving it with ${pct(r.touch ?? 0)} touched`,
    r.replay && "`--from-archive --of <cold run>`",
  ].filter((part): part is string => typeof part === "string");
  const lines = [
    `Page archive and re-runs: ${ran.join(", then ")}:`,
    "",
    ...table(sides, [
      ["docs/s (listed ÷ wall time)", (s) => String(s.docsPerSecond)],
      ["wall time", seconds],
      ["documents written / failed / skipped", (s) => `${s.docs} / ${s.failed} / ${s.skipped ?? 0}`],
      ["document requests to the simulator", (s) => String(s.documentRequests ?? "—")],
      ["CPU: enqueuer", cpuOnly("enqueuer")],
      ["CPU: workers (all)", cpuOnly("workers")],
      ["CPU: Postgres (all processes)", cpuOnly("postgres")],
      ["CPU: Postgres (the target's backends)", cpuOnly("postgresTarget")],
      ["CPU: Redis", cpuOnly("redis")],
      ["CPU: simulator", cpuOnly("simulator")],
      ["Postgres transactions", (s) => String(s.postgresTransactions)],
      ["CPU per document, all processes", cpuPerDocument],
    ]),
    "",
  ];
  const a = r.archive;
  if (r.archiveRatio !== undefined) {
    lines.push(`**ARCHIVE=on ÷ ARCHIVE=off: ${r.archiveRatio}×** docs/s (${r.porter.docsPerSecond} against ${r.archiveOff?.docsPerSecond}).`, "");
  }
  if (a) {
    lines.push(
      `**Archive: ${a.storedBytesPerDocument} bytes stored per document** (${a.rawBytesPerDocument} as served, ` +
        `${a.rawBytes === 0 ? 0 : Math.round((a.storedBytes / a.rawBytes) * 100)}%): ${a.pages} pages of ${a.documents} documents, ` +
        `${mib(a.storedBytes)} stored, ${mib(a.rawBytes)} as served.`,
      "",
    );
  }
  const u = r.changedUnchanged;
  if (u) {
    const perMillion = (u.durationMs / 1000) * (1_000_000 / Math.max(1, u.listed ?? r.docs));
    lines.push(
      `**--changed, nothing changed: ${u.documentRequests} document requests** (${r.porter.failed} failed in the cold run), ` +
        `${seconds(u)} for ${u.listed} listed, ${u.docsPerSecond} docs/s; ${Math.round(perMillion)} s per million documents at that pace.`,
      "",
    );
  }
  const t = r.changedTouched;
  if (t) {
    lines.push(
      `**--changed, ${pct(r.touch ?? 0)} touched: ${t.documentRequests} document requests**, ${t.docs} documents written again, ` +
        `${t.skipped} skipped, in ${seconds(t)}.`,
      "",
    );
  }
  const p = r.replay;
  if (p) {
    lines.push(
      `**--from-archive: ${p.documentRequests} document requests, ${p.docsPerSecond} docs/s, ${r.replayRatio}× the cold run** ` +
        `(the target holds every document already: each is written again).`,
      "",
    );
  }
  return lines;
}

/** CPU seconds of every process group (Postgres once: all of its processes) per document finished, in ms. */
function cpuPerDocument(side: SideResult): string {
  const total = Object.entries(side.processes)
    .filter(([group]) => group !== "postgresTarget")
    .reduce((sum, [, g]) => sum + g.cpuSeconds, 0);
  const finished = side.docs + side.failed + (side.skipped ?? 0);
  return finished === 0 ? "—" : `${((total * 1000) / finished).toFixed(3)} ms`;
}

function redisCell(side: SideResult): string {
  const r = side.redis;
  return r ? `${r.scriptsPerDocument} (${r.scriptUsPerDocument} µs) / ${r.commandsPerDocument}` : "—";
}

const cpuOnly = (group: string) => (side: SideResult) => {
  const g = side.processes[group];
  return g ? `${g.cpuSeconds} s` : "—";
};

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function pct(rate: number): string {
  return `${Math.round(rate * 1000) / 10}%`;
}
