import type { Run } from "@porter/db";
import type { RunProgress } from "@porter/runs";
import { html, type Html } from "../html.js";
import { layout } from "./layout.js";
import { duration, progressBar, when } from "./progress.js";

export interface RunView {
  run: Run;
  progress: RunProgress;
}

/** A short word for a run that is not a plain full run of the legacy service. */
function runTags(run: Run): Html {
  const tags = [run.dryRun ? "dry run" : "", run.source === "archive" ? "replay" : "", run.changedOnly ? "changed only" : ""].filter((t) => t !== "");
  return html`${tags.map((t) => html` <span class="tag">${t}</span>`)}`;
}

export function runsRows(views: RunView[]): Html {
  if (views.length === 0) return html`<tr><td colspan="10" class="muted">No runs yet: start one with <code>porter run</code>.</td></tr>`;
  return html`${views.map(
    ({ run, progress: p }) => html`<tr data-run="${run.id}">
      <td><a href="/runs/${run.id}">${run.id.slice(0, 8)}</a>${runTags(run)}</td>
      <td><span class="status ${p.status}">${p.status}</span></td>
      <td>${progressBar(p)}</td>
      <td class="nums">${p.listed}${p.listing ? "+" : ""}</td>
      <td class="nums" data-count="succeeded">${p.succeeded}</td>
      <td class="nums" data-count="failed">${p.failed}</td>
      <td class="nums" data-count="skipped">${p.skipped}</td>
      <td class="nums">${p.pending + p.running}</td>
      <td class="nums">${p.docsPerSecond.toFixed(0)} docs/s · ETA ${duration(p.etaMs)}</td>
      <td class="muted">${when(run.startedAt)}<br>${when(run.finishedAt)}</td>
    </tr>`,
  )}`;
}

export function runsPage(views: RunView[]): Html {
  return layout(
    "Runs",
    html`<h1>Runs</h1>
    <table><thead><tr><th>run</th><th>status</th><th>progress</th><th>listed</th><th>succeeded</th><th>failed</th>
      <th>skipped</th><th>left</th><th>pace</th><th>started / finished</th></tr></thead>
    <tbody id="live">${runsRows(views)}</tbody></table>`,
  );
}
