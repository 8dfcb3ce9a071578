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
  prerender: boolean;
  porter: SideResult;
  baseline: SideResult | undefined;
  ratio: number | undefined;
}

function cpu(side: SideResult | undefined, group: string): string {
  const g = side?.processes[group];
  return g ? `${g.cpuSeconds} s / ${g.peakRssMb} MB` : "—";
}

/** The table the README shows. */
export function renderMarkdown(r: BenchResult): string {
  const p = r.porter;
  const b = r.baseline;
  const row = (name: string, a: string, c: string) => `| ${name} | ${a} | ${c} |`;
  const lines = [
    `Benchmark of ${r.date} — ${r.docs} documents, Porter ${r.workers} workers × concurrency ${r.concurrency}, ` +
      `simulator ${r.prerender ? "pre-rendered" : "rendering live"}; ${r.machine}`,
    "",
    "| | Porter | baseline (one transaction per document, 100 at a time) |",
    "|---|---|---|",
    row("docs/s", String(p.docsPerSecond), b ? String(b.docsPerSecond) : "—"),
    row("documents (failed)", `${p.docs} (${p.failed})`, b ? `${b.docs} (${b.failed})` : "—"),
    row("wall time", `${(p.durationMs / 1000).toFixed(1)} s`, b ? `${(b.durationMs / 1000).toFixed(1)} s` : "—"),
    row("p50 / p95 per document", `${p.p50Ms} / ${p.p95Ms} ms`, b ? `${b.p50Ms} / ${b.p95Ms} ms` : "—"),
    row("CPU / peak RSS: simulator", cpu(p, "simulator"), cpu(b, "simulator")),
    row("CPU / peak RSS: enqueuer", cpu(p, "enqueuer"), "—"),
    row("CPU / peak RSS: workers (all) / baseline", cpu(p, "workers"), cpu(b, "baseline")),
    row("CPU / peak RSS: Redis", cpu(p, "redis"), "—"),
    row("CPU / peak RSS: Postgres (all processes)", cpu(p, "postgres"), cpu(b, "postgres")),
    row("Redis peak memory", `${p.redisPeakMb ?? "—"} MB`, "—"),
    row("Postgres transactions", String(p.postgresTransactions), b ? String(b.postgresTransactions) : "—"),
    "",
    r.ratio === undefined ? "" : `**Porter ÷ baseline: ${r.ratio}×** docs/s.`,
    "",
  ];
  return lines.join("\n");
}
