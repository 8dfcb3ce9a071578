import { FAILURE_KINDS, type FailureKind, type Stage } from "./kinds.js";

export interface ImportFailureOptions {
  stage?: Stage;
  /** For `rate_limited`: the least time to wait before the next attempt. */
  retryAfterMs?: number;
  cause?: unknown;
}

/**
 * The one error type a document's attempt ends with. `kind` says what an
 * operator can do about it; `retryable` comes from the kind, never from the
 * call site, so one kind always behaves the same way.
 */
export class ImportFailure extends Error {
  override readonly name = "ImportFailure";
  readonly kind: FailureKind;
  stage: Stage | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(kind: FailureKind, message: string, options: ImportFailureOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.stage = options.stage;
    this.retryAfterMs = options.retryAfterMs;
  }

  get retryable(): boolean {
    return FAILURE_KINDS[this.kind].retryable;
  }
}
