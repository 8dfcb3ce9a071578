import { ImportFailure } from "@porter/failures";

// encodeURIComponent leaves these as they are; some clients and proxies treat them specially.
const SUB_DELIMS = /[!'()*]/g;

function encodeSubDelim(c: string): string {
  return `%${c.charCodeAt(0).toString(16).toUpperCase()}`;
}

/**
 * A document id as ONE percent-encoded path segment: `/`, spaces, `%` and unicode (as UTF-8)
 * are encoded, and so are the ids `.` and `..`, which would otherwise be dot-segments.
 * (The WHATWG URL parser still resolves `%2E%2E`, so paths are never passed through `new URL`.)
 * @throws ImportFailure `invalid_document` for an empty id or one that is not well-formed unicode
 */
export function encodePathSegment(id: string): string {
  if (id === "") throw new ImportFailure("invalid_document", "a document id must not be empty", { stage: "fetch" });
  if (id === ".") return "%2E";
  if (id === "..") return "%2E%2E";
  let encoded: string;
  try {
    encoded = encodeURIComponent(id);
  } catch (err) {
    // URIError: a lone surrogate has no UTF-8 encoding, so no URL can name this id.
    throw new ImportFailure("invalid_document", `document ${JSON.stringify(id)}: the id is not well-formed unicode`, {
      stage: "fetch",
      cause: err,
    });
  }
  SUB_DELIMS.lastIndex = 0;
  return SUB_DELIMS.test(encoded) ? encoded.replace(SUB_DELIMS, encodeSubDelim) : encoded;
}

/** Strips trailing slashes so `/api/` and `/api` give the same paths; `/` becomes `""`. */
export function normalizeBasePath(basePath: string): string {
  let end = basePath.length;
  while (end > 0 && basePath.charCodeAt(end - 1) === 0x2f) end--;
  const trimmed = basePath.slice(0, end);
  return trimmed === "" || trimmed.startsWith("/") ? trimmed : `/${trimmed}`;
}

/**
 * Whether two legacy URLs name the same service, as createHttpSource reads
 * them: the same origin and base path, trailing slashes aside. A URL that
 * does not parse equals only itself.
 */
export function sameServiceUrl(a: string, b: string): boolean {
  try {
    const [x, y] = [new URL(a), new URL(b)];
    return x.origin === y.origin && normalizeBasePath(x.pathname) === normalizeBasePath(y.pathname);
  } catch {
    return a === b;
  }
}

/** `${basePath}/documents/${id as one encoded segment}`, e.g. `/api/documents/a%20b%2Fc`. */
export function documentPath(basePath: string, id: string): string {
  return `${normalizeBasePath(basePath)}/documents/${encodePathSegment(id)}`;
}
