/**
 * Every way one document can fail, with whether a retry can help.
 * The README's failure table is written from this list: keep them in step.
 */
export const FAILURE_KINDS = {
  // transient: the same attempt may succeed later
  http_5xx: { retryable: true, meaning: "The legacy service answered 5xx." },
  rate_limited: { retryable: true, meaning: "The legacy service answered 429; the retry waits at least its Retry-After." },
  network: { retryable: true, meaning: "The connection to the legacy service failed or was reset." },
  timeout: { retryable: true, meaning: "The attempt ran past JOB_TIMEOUT_MS, or the legacy service sent no byte for FETCH_IDLE_TIMEOUT_MS (fetch or load was aborted)." },
  db_unavailable: { retryable: true, meaning: "Postgres could not be reached or dropped the connection." },
  db_error: { retryable: true, meaning: "Postgres refused the write for a reason that may pass (deadlock, serialization, resources)." },
  // permanent: retrying gives the same answer, so the document fails at once
  invalid_id: {
    retryable: false,
    meaning: "The listing gave an id Porter cannot migrate: empty, or holding NUL or a lone surrogate, which Postgres text cannot store.",
  },
  not_found: { retryable: false, meaning: "The legacy service answered 404 for a listed id." },
  http_4xx: { retryable: false, meaning: "The legacy service refused the request (4xx other than 404/429), e.g. a bad LEGACY_TOKEN." },
  no_embedded_json: { retryable: false, meaning: "The page has no <script id=\"document-data\"> tag." },
  invalid_json: { retryable: false, meaning: "The embedded JSON does not parse." },
  invalid_document: {
    retryable: false,
    meaning:
      "The JSON parses but is not a document (wrong shape, bad timestamp, NUL or broken unicode, invalid UTF-8), or the response's Content-Encoding is unknown or does not decode.",
  },
  too_large: { retryable: false, meaning: "The page is larger than MAX_PAGE_BYTES, as received or decoded." },
  not_archived: {
    retryable: false,
    meaning: "A replay found no archived page for the document: the run that fetched it ran with ARCHIVE=off, or never fetched it.",
  },
  unknown: { retryable: false, meaning: "A bug or an error Porter does not know; see the stack trace." },
} as const satisfies Record<string, { retryable: boolean; meaning: string }>;

export type FailureKind = keyof typeof FAILURE_KINDS;

/** Where the failure happened: in the listing (before any attempt), or in an attempt's fetch, extract or load. */
export type Stage = "list" | "fetch" | "extract" | "load";

export function isFailureKind(value: string): value is FailureKind {
  return Object.hasOwn(FAILURE_KINDS, value);
}
