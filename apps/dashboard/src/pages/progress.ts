import type { RunProgress } from "@porter/runs";
import { html, type Html } from "../html.js";

const pct = (n: number, total: number) => (total > 0 ? (100 * n) / total : 0).toFixed(2);

/** Succeeded, skipped, failed and rolled back as one stacked bar over everything listed. */
export function progressBar(p: RunProgress, wide = false): Html {
  const total = Math.max(p.listed, 1);
  const done = p.succeeded + p.failed + p.skipped;
  return html`<div class="bar${wide ? " wide" : ""}" role="progressbar" aria-valuemin="0" aria-valuemax="${p.listed}"
    aria-valuenow="${done}" title="${done} of ${p.listed} finished">
    <span class="ok" style="width:${pct(p.succeeded, total)}%"></span>
    <span class="same" style="width:${pct(p.skipped, total)}%"></span>
    <span class="bad" style="width:${pct(p.failed, total)}%"></span>
    <span class="back" style="width:${pct(p.rolledBack, total)}%"></span></div>`;
}

export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "—";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export function when(timestamp: string | null): string {
  return timestamp ? timestamp.slice(0, 19).replace("T", " ") : "—";
}
