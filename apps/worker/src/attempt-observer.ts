import type { FailureKind, Stage } from "@porter/failures";
import type { Logger } from "@porter/logger";

/**
 * Told about every attempt, for metrics. Implementations only touch memory
 * (counters, histograms): no I/O, nothing per document beyond that. They
 * should not throw; if one does, `guardObserver` keeps it from the document.
 */
export interface AttemptObserver {
  /** An attempt begins, in its fetch stage. */
  start(): AttemptWatch;
}

/** One attempt being watched. Exactly one of `succeeded` / `refused` / `failed` ends it. */
export interface AttemptWatch {
  /** The attempt moved on to `stage`: the previous stage's duration is observed. */
  enter(stage: Stage): void;
  succeeded(): void;
  /** Its load wrote nothing: the ledger row was cancelled or rolled back meanwhile. */
  refused(): void;
  /** `final`: the document fails for good (not retried). */
  failed(failure: { kind: FailureKind; stage: Stage | undefined }, final: boolean): void;
}

type Method = "start" | "enter" | "succeeded" | "refused" | "failed";

const IGNORED: AttemptWatch = { enter() {}, succeeded() {}, refused() {}, failed() {} };

/**
 * The observer as the processor calls it: every call is caught, so a broken
 * metric never fails an attempt, never turns a committed load into a failure,
 * and never replaces a failure's own error (graphile-worker wraps its event
 * emits the same way). A `start` that throws leaves that attempt unwatched.
 *
 * Each method's first throw is logged at warn, with the error; later ones at
 * debug. A broken metric throws on every document, and one warning per method
 * says as much as a million would.
 */
export function guardObserver(observer: AttemptObserver, logger: Logger): AttemptObserver {
  const warned = new Set<Method>();
  const guarded = <T>(method: Method, call: () => T, fallback: T): T => {
    try {
      return call();
    } catch (err) {
      const first = !warned.has(method);
      warned.add(method);
      if (first) {
        logger.warn(
          { err, method },
          `the attempt observer threw in ${method}; ignored, the documents are not affected but the metrics may be wrong ` +
            `(later throws from ${method} are logged at debug)`,
        );
      } else logger.debug({ err, method }, `the attempt observer threw in ${method} again; ignored`);
      return fallback;
    }
  };
  return {
    start() {
      const watch = guarded("start", () => observer.start(), IGNORED);
      return {
        enter: (stage) => guarded("enter", () => watch.enter(stage), undefined),
        succeeded: () => guarded("succeeded", () => watch.succeeded(), undefined),
        refused: () => guarded("refused", () => watch.refused(), undefined),
        failed: (failure, final) => guarded("failed", () => watch.failed(failure, final), undefined),
      };
    },
  };
}
