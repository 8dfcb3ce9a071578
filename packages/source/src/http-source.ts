import { ImportFailure, failureFromHttpStatus, failureFromNetworkError } from "@porter/failures";
import { Pool, type Dispatcher } from "undici";
import { ACCEPT_ENCODING, parseContentEncoding } from "./content-encoding.js";
import { encodePathSegment, normalizeBasePath } from "./document-path.js";
import { parseListPage } from "./listing.js";
import { quoteShort } from "./quote-short.js";
import { decodeUtf8 } from "./page-text.js";
import { readChunked, readDeclared, readEncoded } from "./read-body.js";
import type { BodyReservation, FetchedPage, ListPage, Source } from "./source.js";

export interface HttpSourceOptions {
  /** Base URL of the legacy service; may carry a path prefix, e.g. `http://legacy:8080/api/`. */
  url: string;
  /** Sent as `Authorization: Bearer <token>`; never part of any message. Empty means none. */
  token?: string;
  /** Keep-alive sockets to the legacy service. */
  connections: number;
  /** Largest response body accepted (pages and listings), in bytes. */
  maxPageBytes: number;
  /**
   * A response that sends no byte for this long, before its headers or
   * between body chunks, is aborted as a `timeout` (retried): a hung response
   * costs this, not the whole attempt's timeout (FETCH_IDLE_TIMEOUT_MS).
   * Unset: undici's 300 s.
   */
  idleTimeoutMs?: number;
}

function ignore(): void {}

/** Message prefixes, built only once something has failed. */
function documentContext(id: string | null): string {
  return `GET document ${JSON.stringify(id)}`;
}

function listingContext(cursor: string | null): string {
  if (cursor === null) return "GET listing (first page)";
  return `GET listing after cursor ${quoteShort(cursor, 80)}`;
}

function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/**
 * The legacy service over HTTP: one undici Pool (keep-alive, `connections` sockets, no
 * pipelining) on the origin of `url`. Every failure is an ImportFailure.
 */
export function createHttpSource(options: HttpSourceOptions): Source {
  let base: URL;
  try {
    base = new URL(options.url);
  } catch {
    // Not echoed: the URL could carry credentials.
    throw new TypeError("the legacy URL is not a valid absolute URL");
  }
  if (base.protocol !== "http:" && base.protocol !== "https:") throw new TypeError("the legacy URL must be http: or https:");
  if (base.username !== "" || base.password !== "") throw new TypeError("the legacy URL must not hold credentials; use the token");
  if (base.search !== "" || base.hash !== "") throw new TypeError("the legacy URL must not have a query or a fragment");
  const connections = positiveInteger(options.connections, "connections");
  const maxPageBytes = positiveInteger(options.maxPageBytes, "maxPageBytes");
  const idleTimeout = options.idleTimeoutMs === undefined ? undefined : positiveInteger(options.idleTimeoutMs, "idleTimeoutMs");
  const token = options.token ?? "";
  // Not echoed either: undici would refuse it later with a less helpful message.
  if (/[\r\n\0]/.test(token)) throw new TypeError("the legacy token must not contain line breaks or NUL");

  const basePath = normalizeBasePath(base.pathname);
  const documentsPrefix = `${basePath}/documents/`;
  const listPrefix = `${basePath}/documents?limit=`;
  // Built once: the same objects go with every request.
  const pageHeaders: Record<string, string> = { accept: "text/html", "accept-encoding": ACCEPT_ENCODING };
  const listHeaders: Record<string, string> = { accept: "application/json", "accept-encoding": ACCEPT_ENCODING };
  if (token !== "") pageHeaders.authorization = listHeaders.authorization = `Bearer ${token}`;

  const pool = new Pool(base.origin, {
    connections,
    pipelining: 1,
    ...(idleTimeout === undefined ? {} : { headersTimeout: idleTimeout, bodyTimeout: idleTimeout }),
  });

  /** GETs `path` and returns its body's bytes and content type; `describe(key)` names the request in messages. */
  async function get(
    path: string,
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
    key: string | null,
    describe: (key: string | null) => string,
    reservation?: BodyReservation,
  ): Promise<FetchedPage> {
    let response: Dispatcher.ResponseData;
    try {
      response = await pool.request({ path, method: "GET", headers, signal });
    } catch (err) {
      throw failureFromNetworkError(err, describe(key), signal);
    }
    const { statusCode, body } = response;
    if (statusCode < 200 || statusCode > 299) {
      // Reading the (small) error body lets undici reuse the socket; dump() gives up past 128 KiB.
      await body.dump().catch(ignore);
      throw failureFromHttpStatus(statusCode, describe(key), response.headers["retry-after"]);
    }
    const { codings, unknown } = parseContentEncoding(response.headers["content-encoding"]);
    if (unknown !== undefined) {
      // Permanent: the service answers every request with it, though Accept-Encoding did not offer it.
      body.on("error", ignore).destroy();
      throw new ImportFailure(
        "invalid_document",
        `${describe(key)}: the response is encoded with ${JSON.stringify(unknown)}, which Porter cannot decode (it accepts gzip, deflate and br)`,
        { stage: "fetch" },
      );
    }
    const declared = response.headers["content-length"];
    if (typeof declared === "string" && Number(declared) > maxPageBytes) {
      // Not read at all; destroying closes the socket. The listener keeps the abort error handled.
      body.on("error", ignore).destroy();
      throw new ImportFailure("too_large", `${describe(key)}: the response declares ${declared} bytes, more than the ${maxPageBytes} allowed`, {
        stage: "fetch",
      });
    }
    const read = { maxBytes: maxPageBytes, signal, reservation, context: () => describe(key) };
    let bytes: Buffer;
    if (codings.length > 0) bytes = await readEncoded(body, codings, read);
    else if (typeof declared === "string" && /^\d+$/.test(declared)) bytes = await readDeclared(body, Number(declared), read);
    else bytes = await readChunked(body, read);
    const contentType = response.headers["content-type"];
    return { bytes, contentType: typeof contentType === "string" ? contentType : null };
  }

  let closing: Promise<void> | undefined;

  return {
    fetchPage(id: string, signal: AbortSignal, reservation?: BodyReservation): Promise<FetchedPage> {
      let path: string;
      try {
        path = documentsPrefix + encodePathSegment(id);
      } catch (err) {
        return Promise.reject(err);
      }
      return get(path, pageHeaders, signal, id, documentContext, reservation);
    },

    async list(cursor: string | null, limit: number, signal?: AbortSignal): Promise<ListPage> {
      positiveInteger(limit, "limit");
      let path = listPrefix + String(limit);
      if (cursor !== null) {
        try {
          path += `&cursor=${encodeURIComponent(cursor)}`;
        } catch (err) {
          // URIError: a lone surrogate cannot be sent in a URL.
          throw new ImportFailure("invalid_document", `${listingContext(cursor)}: the cursor is not well-formed unicode`, {
            stage: "fetch",
            cause: err,
          });
        }
      }
      const { bytes } = await get(path, listHeaders, signal, cursor, listingContext);
      return parseListPage(decodeUtf8(bytes, listingContext(cursor)), listingContext(cursor));
    },

    // Idempotent: a second close() waits for the first instead of throwing ClientDestroyedError.
    close(): Promise<void> {
      return (closing ??= pool.close());
    },
  };
}
