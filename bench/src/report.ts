import type { GroupStats } from "./proc-stats.js";

export interface SideResult {
  docs: number;
  failed: number;
  durationMs: number;
  docsPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  processes: Record<string, GroupStats>;
  postgresTransactions: number;
  redisPeakMb?: number;
  workerRssMb?: number[];
}

export interface BenchResult {
  date: string;
  machine: string;
  docs: number;
  workers: number;
  concurrency: number;
  /** Documents the baseline has in flight (one Postgres connection each); absent in older results: 100. */
  baselineConcurrency?: number;
  prerender: boolean;
  porter: SideResult;
  baseline: SideResult | undefined;
  ratio: number | undefined;
  /** Share of documents failing transiently in the second Porter run (absent: not run). */
  faultMix?: number | undefined;
  withFaults?: SideResult | undefined;
  /** withFaults ÷ porter docs/s. */
  faultRatio?: number | undefined;
}

/** The table the README shows. */
export function renderMarkdown(r: BenchResult): string {
  const sides: [string, SideResult | undefined][] = [
    ["Porter", r.porter],
    ...(r.withFaults ? [[`Porter, ${pct(r.faultMix ?? 0)} transient faults`, r.withFaults] as [string, SideResult]] : []),
    [`baseline (one transaction per document, ${r.baselineConcurrency ?? 100} at a time)`, r.baseline],
  ];
  // A side without a figure (the baseline has no enqueuer, no Redis) shows "—".
  const row = (name: string, cell: (side: SideResult) => string) =>
    `| ${name} | ${sides.map(([, side]) => (side ? cell(side) : "—")).join(" | ")} |`;
  const cpu = (group: string) => (side: SideResult) => {
    const g = side.processes[group];
    return g ? `${g.cpuSeconds} s / ${g.peakRssMb} MB` : "—";
  };
  const lines = [
    `Benchmark of ${r.date} — ${r.docs} documents, Porter ${r.workers} workers × concurrency ${r.concurrency}, ` +
      `simulator ${r.prerender ? "pre-rendered" : "rendering live"}; ${r.machine}`,
    "",
    `| | ${sides.map(([label]) => label).join(" | ")} |`,
    `|---|${sides.map(() => "---|").join("")}`,
    row("docs/s", (s) => String(s.docsPerSecond)),
    row("documents (failed)", (s) => `${s.docs} (${s.failed})`),
    row("wall time", (s) => `${(s.durationMs / 1000).toFixed(1)} s`),
    row("p50 / p95 per document", (s) => `${s.p50Ms} / ${s.p95Ms} ms`),
    row("CPU / peak RSS: simulator", cpu("simulator")),
    row("CPU / peak RSS: enqueuer", cpu("enqueuer")),
    row("CPU / peak RSS: workers (all) / baseline", (s) => (s.processes.workers ? cpu("workers")(s) : cpu("baseline")(s))),
    row("CPU / peak RSS: Redis", cpu("redis")),
    row("CPU / peak RSS: Postgres (all processes)", cpu("postgres")),
    row("Redis peak memory", (s) => (s.redisPeakMb === undefined ? "—" : `${s.redisPeakMb} MB`)),
    row("Postgres transactions", (s) => String(s.postgresTransactions)),
    "",
    r.ratio === undefined ? "" : `**Porter ÷ baseline: ${r.ratio}×** docs/s.`,
    "",
    r.faultRatio === undefined ? "" : `**With ${pct(r.faultMix ?? 0)} transient faults ÷ without: ${r.faultRatio}×** docs/s.`,
    "",
  ];
  return lines.join("\n");
}

function pct(rate: number): string {
  return `${Math.round(rate * 1000) / 10}%`;
}
