import type { SimDocument } from "./document.js";
import type { Rng } from "./prng.js";
import { scriptSafe } from "./script-safe.js";
import { safeSlice } from "./text.js";

/** What the page embeds as document data (see scriptSafe). */
export function embedJson(value: unknown, pretty = false): string {
  return scriptSafe(pretty ? JSON.stringify(value, null, 2) : JSON.stringify(value));
}

const HTML_SPECIAL = /[&<>"']/;

function escapeHtml(s: string): string {
  if (!HTML_SPECIAL.test(s)) return s;
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const SEPARATORS = [" ", " ", "\n  ", "\t", " \n\t "];
const TAG_NAMES = ["script", "script", "SCRIPT", "Script"];

function attribute(rng: Rng, name: string, value: string): string {
  const quote = rng.pick(['"', '"', "'", ""]);
  return `${name}=${quote}${value}${quote}`;
}

/** The real tag, with attribute order, quoting, white space and case varying per document. */
function dataScript(rng: Rng, json: string): string {
  const tag = rng.pick(TAG_NAMES);
  const attrs = [attribute(rng, "id", "document-data"), attribute(rng, "type", "application/json")];
  if (rng.chance(0.5)) attrs.reverse();
  const open = `<${tag}${rng.pick(SEPARATORS)}${attrs[0]}${rng.pick(SEPARATORS)}${attrs[1]}${rng.pick(["", " ", "\n"])}>`;
  const close = `</${rng.chance(0.8) ? tag : rng.pick(TAG_NAMES)}>`;
  const pad = rng.pick(["", "", "\n", "\n    "]);
  return `${open}${pad}${json}${pad}${close}`;
}

// Decoys come before the real tag; none holds the text `<script id="document-data"`.
function decoys(rng: Rng, doc: SimDocument, trapsAlways: boolean): string[] {
  const all = [
    `<script>\n  window.__APP__ = { page: "document", slot: "document-data", ready: 1 < 2 };\n  if (location.hash) console.log("<\\/div>");\n</script>`,
    `<script type="application/ld+json">${embedJson({ "@context": "https://schema.org", "@type": "Article", headline: doc.title, author: { "@type": "Person", name: doc.author.name }, identifier: "document-data" })}</script>`,
    `<script type="application/json" id="document-data-preview">{"id":"decoy"}</script>`,
    `<script data-id="document-data" type="application/json">{"decoy":true}</script>`,
  ];
  const chosen = all.filter((_, k) => (trapsAlways && k >= 2) || rng.chance(0.6));
  for (let k = chosen.length - 1; k > 0; k--) {
    const j = rng.int(0, k);
    [chosen[k], chosen[j]] = [chosen[j] as string, chosen[k] as string];
  }
  return chosen;
}

/** The page split where too-large padding goes (inside an HTML comment, before all scripts). */
export interface PageText {
  before: string;
  after: string;
}

/**
 * Renders a page for `doc` (whose body shows only as `excerpt`). `json` is the embedded text
 * (null: no document-data tag at all). `padded` ends `before` in `<!-- ` and starts `after`
 * with ` -->`, so padding read in order comes before any script.
 */
export function renderPage(rng: Rng, doc: SimDocument, excerpt: string, json: string | null, padded: boolean): PageText {
  const title = escapeHtml(doc.title);
  const scripts = decoys(rng, doc, json === null);
  const data = json === null ? "" : dataScript(rng, json);
  const inHead = rng.chance(0.5);
  const before = `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n${padded ? "<!-- " : ""}`;
  const after = [
    `${padded ? " -->" : ""}<title>${title}</title>`,
    ...scripts,
    ...(inHead ? [data] : []),
    `</head>`,
    `<body>`,
    `<h1>${title}</h1>`,
    `<p class="byline">${escapeHtml(doc.author.name)} · <time>${escapeHtml(doc.updatedAt)}</time></p>`,
    `<article>${escapeHtml(excerpt)}…</article>`,
    ...(inHead ? [] : [data]),
    `</body>`,
    `</html>`,
    ``,
  ].join("\n");
  return { before, after };
}

/** Valid JSON of the wrong shape, for the bad-shape fault. */
export function wrongShape(doc: SimDocument, variant: number): unknown {
  const { title: _title, ...untitled } = doc;
  switch (variant % 5) {
    case 0:
      return untitled;
    case 1:
      return { ...doc, tags: doc.tags.join(", ") };
    case 2:
      return { ...doc, author: doc.author.name };
    case 3:
      return { ...doc, attachments: { count: doc.attachments.length } };
    default:
      return [doc];
  }
}

/** Broken JSON text (already escaped for the page), for the bad-json fault. */
export function brokenJson(doc: SimDocument, variant: number): string {
  const json = JSON.stringify(doc);
  let broken: string;
  switch (variant % 4) {
    case 0: // truncated: a proper prefix of an object is never valid JSON
      broken = safeSlice(json, Math.max(1, Math.floor(json.length * (0.3 + (variant % 60) / 100))));
      break;
    case 1:
      broken = `${json.slice(0, -1)},}`;
      break;
    case 2:
      broken = json.replace('{"id":', "{'id':");
      break;
    default:
      broken = `${json.slice(0, -1)},"score":NaN}`;
  }
  return scriptSafe(broken);
}
