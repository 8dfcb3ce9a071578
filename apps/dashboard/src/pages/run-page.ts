import type { FailureRow, Run, RunThroughput } from "@porter/db";
import type { RunProgress } from "@porter/runs";
import { html, type Html } from "../html.js";
import { layout } from "./layout.js";
import { duration, progressBar, when } from "./progress.js";
import { throughputChart } from "./throughput-chart.js";

export interface FailureGroup {
  kind: string;
  count: number;
  /** The first rows of the group (not all of a large one). */
  rows: FailureRow[];
}

export interface RunPageData {
  run: Run;
  progress: RunProgress;
  failures: FailureGroup[];
  /** Documents ended per interval, drawn once per page load. */
  throughput: RunThroughput;
  flash: string | undefined;
  csrf: (action: string) => string;
}

export function runSummary(p: RunProgress, run: Run): Html {
  return html`${progressBar(p, true)}
    <p class="nums"><span class="status ${p.status}">${p.status}</span>
      <span data-count="succeeded">${p.succeeded}</span> succeeded · <strong data-count="failed">${p.failed}</strong> failed ·
      <span data-count="skipped">${p.skipped}</span> unchanged (skipped) ·
      <span data-count="left">${p.pending + p.running}</span> left of ${p.listed}${p.listing ? " listed so far" : ""} ·
      ${p.rolledBack} rolled back${p.cancelled > 0 ? html` · <span data-count="cancelled">${p.cancelled}</span> cancelled` : ""} · ${p.docsPerSecond.toFixed(0)} docs/s · ETA ${duration(p.etaMs)}
      <br><span class="muted">${runKind(run)} · started ${when(run.startedAt)} · finished ${when(run.finishedAt)}</span>
      ${p.projection === null ? "" : html`<br><strong class="projection">A real run would insert <span data-count="new">${p.projection.new}</span>, update <span data-count="changed">${p.projection.changed}</span> and find <span data-count="unchanged">${p.projection.unchanged}</span> unchanged${p.skipped > 0 ? html`, besides the ${p.skipped} skipped` : ""}; ${p.failed} would fail (by kind below).</strong>`}
      ${run.listingError === null ? "" : html`<br><strong class="listing-error">The listing stopped before its end: ${run.listingError}</strong>`}</p>`;
}

/** What kind of run: where it read, and whether it skipped what was unchanged. */
export function runKind(run: Run): Html {
  const source = run.source === "archive" && run.replayOf !== null ? html`replay of <a href="/runs/${run.replayOf}">${run.replayOf.slice(0, 8)}</a> from the archive` : html`from the legacy service`;
  const changed = run.changedOnly ? html`${source}, changed documents only` : source;
  return run.dryRun ? html`dry run (nothing written), ${changed}` : changed;
}

function action(path: string, csrf: (action: string) => string, fields: Html, label: Html, question?: string): Html {
  return html`<form class="inline" method="post" action="${path}"${question === undefined ? "" : html` data-confirm="${question}"`}>
    <input type="hidden" name="csrf" value="${csrf(path)}">${fields}${label}</form>`;
}

export function runPage(d: RunPageData): Html {
  const base = `/runs/${d.run.id}`;
  // No confirm field in the markup: the page's script adds confirm=yes only
  // once the person accepts the question (see CONFIRM in layout.ts), so a
  // script that fails sends a rollback the server refuses, not one it runs.
  const rollback = action(
    `${base}/rollback`,
    d.csrf,
    html``,
    html`<button class="danger" type="submit">Roll back run</button>`,
    d.run.dryRun
      ? `Roll back dry run ${d.run.id}? It wrote nothing to the target; its ledger rows are marked rolled back.`
      : `Roll back run ${d.run.id}? Every document it wrote is deleted from the target.`,
  );
  const requeueAll = action(`${base}/requeue`, d.csrf, html``, html`<button type="submit">Requeue all failed</button>`);
  return layout(
    `Run ${d.run.id.slice(0, 8)}`,
    html`${d.flash ? html`<div class="flash" role="status">${d.flash}</div>` : ""}
    <h1>Run <code>${d.run.id}</code></h1>
    <div id="live">${runSummary(d.progress, d.run)}</div>
    <h2>Throughput</h2>
    ${throughputChart(d.throughput)}
    <p>${d.progress.failed > 0 ? requeueAll : ""} ${d.run.status === "rolled_back" ? "" : rollback}</p>
    <h2>Failures</h2>
    ${d.failures.length === 0 ? html`<p class="muted">No failed documents.</p>` : ""}
    ${d.failures.map(
      (g) => html`<h3 class="kind" data-kind="${g.kind}"><code>${g.kind}</code> — ${g.count}
        ${g.kind === "invalid_id" ? "" : action(`${base}/requeue`, d.csrf, html`<input type="hidden" name="kind" value="${g.kind}">`, html`<button type="submit">Requeue these</button>`)}</h3>
      <table><thead><tr><th>legacy id</th><th>stage</th><th>attempts</th><th>message</th></tr></thead><tbody>
      ${g.rows.map(
        (f) => html`<tr><td><code>${f.legacyId}</code></td><td>${f.stage ?? "—"}</td><td>${f.attempts}</td>
          <td>${f.message ?? ""}${f.stacktrace ? html`<details><summary>stack trace</summary><pre>${f.stacktrace}</pre></details>` : ""}</td></tr>`,
      )}</tbody></table>
      ${g.count > g.rows.length ? html`<p class="muted">… and ${g.count - g.rows.length} more: <code>porter failures ${d.run.id} --kind ${g.kind}</code></p>` : ""}`,
    )}`,
  );
}
