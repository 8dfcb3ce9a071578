/** The exit codes of every `porter` command. */
export const EXIT = {
  ok: 0,
  /** Anything unexpected: a crash, a lost connection. */
  error: 1,
  /** Bad usage or bad configuration; the message names the flag or variable. */
  usage: 2,
  /** The run finished, with failed documents; or `porter verify` found the target and the source differ. */
  failedDocuments: 3,
  /** Postgres, Redis or the legacy service cannot be reached, or refuses (a line each says which, and the variable); nothing was started. */
  unavailable: 4,
  /** The followed run ended without completing: it was cancelled or rolled back meanwhile. */
  notCompleted: 5,
} as const;

/** Bad usage: wrong flag value, unknown run id. Exits 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
