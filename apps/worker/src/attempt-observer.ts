import type { FailureKind, Stage } from "@porter/failures";

/**
 * Told about every attempt, for metrics. Implementations only touch memory
 * (counters, histograms): no I/O, nothing that can throw, nothing per
 * document beyond that.
 */
export interface AttemptObserver {
  /** An attempt begins, in its fetch stage. */
  start(): AttemptWatch;
}

/** One attempt being watched. Exactly one of `succeeded` / `failed` ends it. */
export interface AttemptWatch {
  /** The attempt moved on to `stage`: the previous stage's duration is observed. */
  enter(stage: Stage): void;
  succeeded(): void;
  /** `final`: the document fails for good (not retried). */
  failed(failure: { kind: FailureKind; stage: Stage | undefined }, final: boolean): void;
}
