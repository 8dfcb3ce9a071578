import { FAILURE_KINDS, type FailureKind, type Stage } from "./kinds.js";

export interface ImportFailureOptions {
  stage?: Stage;
  /** For `rate_limited`: the least time to wait before the next attempt. */
  retryAfterMs?: number;
  cause?: unknown;
  /**
   * A failure a replay reads from the ledger (the kind a document had when its page could
   * not be fetched): its kind as recorded, but no retry can change it, so it is never retried.
   */
  replayed?: boolean;
}

/**
 * The one error type a document's attempt ends with. `kind` says what an
 * operator can do about it; `retryable` comes from the kind, never from the
 * call site, so one kind always behaves the same way, with one exception: a
 * failure a replay repeats from the record (`replayed`) is never retried.
 */
export class ImportFailure extends Error {
  override readonly name = "ImportFailure";
  readonly kind: FailureKind;
  stage: Stage | undefined;
  readonly retryAfterMs: number | undefined;
  readonly replayed: boolean;

  constructor(kind: FailureKind, message: string, options: ImportFailureOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.stage = options.stage;
    this.retryAfterMs = options.retryAfterMs;
    this.replayed = options.replayed ?? false;
  }

  get retryable(): boolean {
    return !this.replayed && FAILURE_KINDS[this.kind].retryable;
  }
}
