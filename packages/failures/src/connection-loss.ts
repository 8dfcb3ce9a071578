import { failureFromPgError } from "./classify.js";

/** Socket errors that mean the other end is gone or not there yet, not that the request was wrong. */
const SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
]);

/**
 * What the drivers say when the connection itself went away: pg when the
 * server closed a socket mid-query or the pool could not connect in time,
 * ioredis when a producer connection (no offline queue) is down or dropped
 * its in-flight commands.
 */
const LOST_MESSAGES = [
  /Connection terminated/i,
  /connection error and is not queryable/i,
  /timeout exceeded when trying to connect/i,
  /Stream isn't writeable/i,
  /^Connection is closed\.?$/i,
  /max retries per request/i,
];

const SQLSTATE = /^[0-9A-Z]{5}$/;

function reasonOf(err: Error & { code?: unknown }): string {
  const code = typeof err.code === "string" ? err.code : undefined;
  // Node's AggregateError (one error per address tried) has an empty message.
  const first: unknown = err instanceof AggregateError ? err.errors[0] : undefined;
  const message = err.message || (first instanceof Error ? first.message : "");
  if (!message) return code ?? err.name;
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

/**
 * Why `err` means a store (Postgres or Redis) is unreachable — its message —
 * or undefined when it is any other error, which a retry would not cure.
 * Postgres's SQLSTATEs are read as the worker reads them (08: connection
 * exception; 57P01–03: shutdown, crash, cannot connect now).
 */
export function connectionLoss(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") {
      if (SOCKET_CODES.has(code)) return reasonOf(e);
      if (SQLSTATE.test(code)) return failureFromPgError(e, "").kind === "db_unavailable" ? reasonOf(e) : undefined;
    }
    if (e.name === "MaxRetriesPerRequestError" || LOST_MESSAGES.some((m) => m.test(e.message))) return reasonOf(e);
    // Node tries each address of a host name in turn and reports all of them.
    if (e instanceof AggregateError && e.errors.some((inner) => connectionLoss(inner) !== undefined)) {
      return reasonOf(e);
    }
  }
  return undefined;
}
