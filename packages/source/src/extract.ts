import { ImportFailure } from "@porter/failures";
import { parseLegacyDocument, type LegacyDocument } from "./document.js";

/*
 * Every pattern below is linear in the page: attributes are scanned with `[^<>]*`, which
 * stops at the next `<`, so a failed open-tag attempt never reads past the next candidate;
 * every other search starts where the previous one ended and never goes back.
 * The regexes are module-level and reused (extraction is synchronous), so lastIndex is reset
 * before each use.
 */

/** An HTML comment opener, or a script open tag with its attribute text in group 1. */
const OPEN_TAG = /<!--|<script(?=[\s>/])([^<>]*)>/gi;
/** Script content ends at the first `</script`, followed by white space and `>` (HTML raw text). */
const CLOSE_TAG = /<\/script\s*>/gi;
/** One attribute: name (1), then an optional double- (2), single- (3) or unquoted (4) value. */
const ATTRIBUTE = /[\s/]*([^\s/=]+|=[^\s/=]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|(\S+)))?/y;

const DATA_ID = "document-data";

/** Whether the attribute text of a script tag has `id` = `document-data` (the first `id` wins, as in HTML). */
function hasDataId(attributes: string): boolean {
  // Cheap pre-check: most script tags do not mention the id at all.
  if (!attributes.includes(DATA_ID)) return false;
  ATTRIBUTE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = ATTRIBUTE.exec(attributes)) !== null) {
    const name = m[1] ?? "";
    if (name.length === 2 && name.toLowerCase() === "id") return (m[2] ?? m[3] ?? m[4]) === DATA_ID;
  }
  return false;
}

/**
 * The JSON text inside `<script id="document-data">…</script>`, untouched: `<\/` stays as
 * written (JSON.parse reads it as `/`) and no HTML entity is decoded. Script tags before it
 * are skipped with their content, and commented-out tags do not count.
 * @throws ImportFailure `no_embedded_json`
 */
export function extractEmbeddedJson(html: string): string {
  return findEmbeddedJson(html, "page");
}

function findEmbeddedJson(html: string, context: string): string {
  OPEN_TAG.lastIndex = 0;
  let open: RegExpExecArray | null;
  while ((open = OPEN_TAG.exec(html)) !== null) {
    const afterOpen = OPEN_TAG.lastIndex;
    if (open[0] === "<!--") {
      // `<!-->` and `<!--->` are complete (empty) comments, hence the search from +2.
      const end = html.indexOf("-->", open.index + 2);
      if (end === -1) break;
      OPEN_TAG.lastIndex = end + 3;
      continue;
    }
    CLOSE_TAG.lastIndex = afterOpen;
    const close = CLOSE_TAG.exec(html);
    // Without a closing tag the rest of the page is script content: nothing further can match.
    if (close === null) {
      if (hasDataId(open[1] ?? "")) {
        throw new ImportFailure("no_embedded_json", `${context}: the <script id="document-data"> tag is never closed`, {
          stage: "extract",
        });
      }
      break;
    }
    if (hasDataId(open[1] ?? "")) return html.slice(afterOpen, close.index);
    // Skip this script's content: a `<script id="document-data">` in a string inside it is not a tag.
    OPEN_TAG.lastIndex = CLOSE_TAG.lastIndex;
  }
  throw new ImportFailure("no_embedded_json", `${context}: no <script id="document-data"> tag`, { stage: "extract" });
}

/**
 * Extracts, parses and validates the document of a legacy page.
 * @param expectedId the id the page was fetched for; a page holding another document is refused.
 * @throws ImportFailure `no_embedded_json`, `invalid_json` or `invalid_document` (stage `extract`)
 */
export function extractDocument(html: string, expectedId?: string): LegacyDocument {
  const context = expectedId === undefined ? "page" : `page for document ${JSON.stringify(expectedId)}`;
  const json = findEmbeddedJson(html, context);
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ImportFailure("invalid_json", `${context}: the embedded JSON does not parse: ${reason}`, { stage: "extract", cause: err });
  }
  const doc = parseLegacyDocument(value, context);
  if (expectedId !== undefined && doc.id !== expectedId) {
    throw new ImportFailure("invalid_document", `page for ${JSON.stringify(expectedId)} holds document ${JSON.stringify(doc.id)}`, {
      stage: "extract",
    });
  }
  return doc;
}
