import type { DocumentHistory } from "@porter/db";
import { html, type Html } from "../html.js";
import { layout } from "./layout.js";
import { when } from "./progress.js";

export interface DocumentSearch {
  query: string;
  prefix: boolean;
  histories: DocumentHistory[];
  /** How many ids a prefix search shows at most. */
  limit: number;
}

/** The search form, as the header shows it and the search page repeats it filled in. */
export function searchForm(query = "", prefix = false): Html {
  return html`<form class="search" action="/documents" method="get" role="search">
    <input name="id" value="${query}" placeholder="legacy id" aria-label="legacy id" required>
    <label><input type="checkbox" name="prefix" value="1"${prefix ? html` checked` : ""}> prefix</label>
    <button>Find</button></form>`;
}

function historyOf(h: DocumentHistory): Html {
  const t = h.target;
  return html`<section class="document" data-legacy-id="${h.legacyId}">
    <h2><code>${h.legacyId}</code></h2>
    <p class="target">${
      t === null
        ? html`<span data-target="none">Not in the target.</span>`
        : html`<span data-target="${t.documentId}">In the target as <code>${t.documentId}</code></span>: “${t.title}”, updated ${when(t.updatedAt)},
          written by run <a href="/runs/${t.runId}">${t.runId.slice(0, 8)}</a> at ${when(t.importedAt)} (transform version ${t.transformVersion}),
          ${t.attachments} attachment(s).`
    }</p>
    ${
      h.entries.length === 0
        ? html`<p class="muted">No run has listed it.</p>`
        : html`<table><thead><tr><th>run</th><th>status</th><th>attempts</th><th>kind</th><th>stage</th><th>finished</th><th>last error</th></tr></thead>
      <tbody>${h.entries.map(
        (e) => html`<tr data-run="${e.runId}">
          <td><a href="/runs/${e.runId}">${e.runId.slice(0, 8)}</a> <span class="muted">${when(e.runStartedAt)}</span></td>
          <td><span class="status ${e.status}">${e.status}</span></td>
          <td class="nums">${e.attempts}</td><td>${e.errorKind ?? ""}</td><td>${e.errorStage ?? ""}</td><td class="muted">${when(e.finishedAt)}</td>
          <td>${e.lastError ?? ""}${e.stacktrace ? html`<details><summary>stack trace</summary><pre>${e.stacktrace}</pre></details>` : ""}</td></tr>`,
      )}</tbody></table>`
    }</section>`;
}

/** `/documents?id=…[&prefix=1]`: a legacy id's ledger rows in every run and the target row it became; with prefix, each id that starts so. */
export function documentPage(s: DocumentSearch): Html {
  const found =
    s.histories.length === 0
      ? html`<p class="muted">No document in the target starts with <code>${s.query}</code>.</p>`
      : html`${s.prefix ? html`<p class="muted">${s.histories.length === s.limit ? `The first ${s.limit}` : s.histories.length} document(s) of the target starting with <code>${s.query}</code>.</p>` : ""}
        ${s.histories.map(historyOf)}`;
  return layout("Find a document", html`<h1>Find a document</h1>${searchForm(s.query, s.prefix)}${found}`);
}
