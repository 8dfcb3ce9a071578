import { ImportFailure } from "@porter/failures";
import type { FetchedPage } from "./source.js";

// fatal: a page that is not UTF-8 must fail, not be stored with U+FFFD in place of its bytes.
// decode() without `stream` keeps no state between calls, so one decoder serves all requests.
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Bytes as UTF-8 text; `invalid_document` (stage `extract`) when they are not UTF-8. `context` names the response. */
export function decodeUtf8(bytes: Uint8Array, context: string): string {
  try {
    return utf8.decode(bytes);
  } catch (err) {
    throw new ImportFailure("invalid_document", `${context}: the response is not valid UTF-8`, { stage: "extract", cause: err });
  }
}

/** A document's page as text: the first step of extraction (the page must be UTF-8). */
export function pageText(page: FetchedPage, legacyId: string): string {
  return decodeUtf8(page.bytes, `GET document ${JSON.stringify(legacyId)}`);
}
