import { ImportFailure } from "@porter/failures";
import { findDataScriptText } from "./data-script.js";
import { parseLegacyDocument, type LegacyDocument } from "./document.js";

/**
 * The text of the first `<script id="document-data">` element, as an HTML5 parser builds it
 * (see data-script.ts for the rule): JSON as written, `<\/` included and no entity decoded,
 * with CR and NUL normalized as the parser does. A page that ends inside the element gives
 * the rest of the page, which JSON.parse then judges.
 * @throws ImportFailure `no_embedded_json`
 */
export function extractEmbeddedJson(html: string): string {
  return findEmbeddedJson(html, "page");
}

function findEmbeddedJson(html: string, context: string): string {
  const text = findDataScriptText(html);
  if (text === undefined) {
    throw new ImportFailure("no_embedded_json", `${context}: no <script id="document-data"> element`, { stage: "extract" });
  }
  return text;
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
