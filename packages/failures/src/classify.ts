import { ImportFailure } from "./import-failure.js";
import type { Stage } from "./kinds.js";

/** Parses Retry-After (delta-seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === "") return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Maps a non-2xx answer of the legacy service to a failure. */
export function failureFromHttpStatus(
  status: number,
  context: string,
  retryAfter?: string | string[],
): ImportFailure {
  const stage: Stage = "fetch";
  if (status === 404) return new ImportFailure("not_found", `${context}: legacy service answered 404`, { stage });
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(retryAfter);
    const wait = retryAfterMs === undefined ? "" : ` (Retry-After ${Math.round(retryAfterMs / 1000)} s)`;
    return new ImportFailure("rate_limited", `${context}: legacy service answered 429${wait}`, { stage, retryAfterMs });
  }
  if (status >= 500) return new ImportFailure("http_5xx", `${context}: legacy service answered ${status}`, { stage });
  if (status === 408) return new ImportFailure("timeout", `${context}: legacy service answered 408`, { stage });
  // The token is each process's own (LEGACY_TOKEN): a refusal most often means it is missing or wrong there.
  if (status === 401 || status === 403) {
    return new ImportFailure("http_4xx", `${context}: legacy service answered ${status}: check LEGACY_TOKEN`, { stage });
  }
  return new ImportFailure("http_4xx", `${context}: legacy service answered ${status}`, { stage });
}

function errorCode(err: unknown): string | undefined {
  if (typeof err === "object" && err !== null && "code" in err && typeof err.code === "string") return err.code;
  return undefined;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Maps an error thrown while talking to the legacy service (undici, sockets,
 * an aborted signal) to a failure.
 */
export function failureFromNetworkError(err: unknown, context: string, signal?: AbortSignal): ImportFailure {
  if (err instanceof ImportFailure) return err;
  const code = errorCode(err);
  const name = err instanceof Error ? err.name : "";
  if (signal?.aborted || name === "AbortError" || name === "TimeoutError" || code === "UND_ERR_ABORTED") {
    return new ImportFailure("timeout", `${context}: aborted after the attempt's timeout`, { stage: "fetch", cause: err });
  }
  if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") {
    const part = code === "UND_ERR_HEADERS_TIMEOUT" ? "no response headers" : "no byte of the body";
    return new ImportFailure("timeout", `${context}: ${part} for FETCH_IDLE_TIMEOUT_MS; the request was aborted (${code})`, {
      stage: "fetch",
      cause: err,
    });
  }
  if (code === "UND_ERR_CONNECT_TIMEOUT") {
    return new ImportFailure("timeout", `${context}: ${messageOf(err)} (${code})`, { stage: "fetch", cause: err });
  }
  return new ImportFailure("network", `${context}: ${messageOf(err)}${code ? ` (${code})` : ""}`, {
    stage: "fetch",
    cause: err,
  });
}

/**
 * Maps a Postgres error to a failure by SQLSTATE class
 * (https://www.postgresql.org/docs/current/errcodes-appendix.html), at
 * `stage` (the load, or the fetch for what a replay or the archive reads and writes).
 */
export function failureFromPgError(err: unknown, context: string, stage: Stage = "load"): ImportFailure {
  if (err instanceof ImportFailure) return err;
  const code = errorCode(err) ?? "";
  // No SQLSTATE class starts with E: ECONNREFUSED, ECONNRESET, EPIPE are Node's socket errors.
  const socket = code.startsWith("E");
  const message = `${context}: ${messageOf(err)}${code ? (socket ? ` (${code})` : ` (SQLSTATE ${code})`) : ""}`;
  if (code === "57014") return new ImportFailure("timeout", message, { stage, cause: err });
  // 08: connection exception; 57P01-03: admin shutdown, crash shutdown, cannot connect now
  if (code.startsWith("08") || /^57P0[123]$/.test(code)) {
    return new ImportFailure("db_unavailable", message, { stage, cause: err });
  }
  // 22: data exception (bad timestamp, NUL byte, out of range) — the document's fault
  if (code.startsWith("22")) return new ImportFailure("invalid_document", message, { stage, cause: err });
  // 42: syntax error or missing table/column (migrations not applied): a retry cannot help
  if (code.startsWith("42")) return new ImportFailure("unknown", message, { stage, cause: err });
  if (socket) return new ImportFailure("db_unavailable", message, { stage, cause: err });
  if (code !== "") return new ImportFailure("db_error", message, { stage, cause: err });
  // No SQLSTATE: the socket died under the driver (ECONNRESET, "Connection terminated")
  return new ImportFailure("db_unavailable", message, { stage, cause: err });
}

/** Any error at a known stage, as a failure: what the worker records. */
export function toImportFailure(err: unknown, stage: Stage): ImportFailure {
  if (err instanceof ImportFailure) {
    err.stage ??= stage;
    return err;
  }
  return new ImportFailure("unknown", messageOf(err), { stage, cause: err });
}
