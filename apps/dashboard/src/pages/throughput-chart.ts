import type { RunThroughput } from "@porter/db";
import { html, type Html } from "../html.js";

const WIDTH = 720;
const HEIGHT = 120;

/**
 * Documents finished and failed per interval of a run, as stacked bars in
 * an inline SVG (no script, no request): finished in green, failed in red
 * above them, each bar titled with its numbers and carrying them as data-*.
 */
export function throughputChart(t: RunThroughput): Html {
  if (t.buckets.length === 0) return html`<p class="muted" data-chart="empty">No document has ended yet.</p>`;
  const most = Math.max(1, ...t.buckets.map((b) => b.finished + b.failed));
  const step = WIDTH / t.buckets.length;
  const bar = Math.max(1, step - 1);
  const y = (n: number) => (n / most) * (HEIGHT - 4);
  const bars = t.buckets.map((b, i) => {
    const x = (i * step).toFixed(1);
    const ok = y(b.finished);
    const bad = y(b.failed);
    const label = `${b.fromSeconds}–${b.fromSeconds + t.intervalSeconds} s: ${b.finished} finished, ${b.failed} failed`;
    return html`<g data-bucket="${i}" data-finished="${b.finished}" data-failed="${b.failed}"><title>${label}</title>
      <rect x="${x}" y="${(HEIGHT - ok).toFixed(1)}" width="${bar.toFixed(1)}" height="${ok.toFixed(1)}" fill="#2f9e44"></rect>
      <rect x="${x}" y="${(HEIGHT - ok - bad).toFixed(1)}" width="${bar.toFixed(1)}" height="${bad.toFixed(1)}" fill="#e03131"></rect></g>`;
  });
  const total = t.buckets.reduce((n, b) => n + b.finished + b.failed, 0);
  return html`<figure class="chart"><svg role="img" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" height="${HEIGHT}" preserveAspectRatio="none"
      aria-label="${total} documents ended over ${t.buckets.length} intervals of ${t.intervalSeconds} s">${bars}</svg>
    <figcaption class="muted">Documents ended per ${t.intervalSeconds} s since the start (most ${most} in one interval), from the ledger:
      <span style="color:#2f9e44">finished</span>, <span style="color:#e03131">failed</span>.</figcaption></figure>`;
}
