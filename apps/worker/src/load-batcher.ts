import type pg from "pg";
import { loadBatch, loadDocument, recordFailedPage, recordFailure, type FailedAttempt, type LoadInput } from "@porter/db";
import { failureFromPgError, ImportFailure } from "@porter/failures";
import { LOAD_MAX_BATCH_CHARS } from "./tuning.js";

export interface LoadBatcherOptions {
  /** Most documents (and failed attempts) per transaction. */
  maxBatch: number;
  /**
   * Most text (title and body, in UTF-16 code units; a failure's message and stack) per
   * transaction; a larger document goes alone. pg builds a statement's parameters as strings and buffers several times
   * their size, and batching large documents saves nothing, so they do not share one.
   * Default LOAD_MAX_BATCH_CHARS.
   */
  maxBatchChars?: number;
  /** Most transactions in flight at once; documents arriving meanwhile wait and form the next batch. */
  maxInFlight: number;
}

/** What a transaction takes from the queue: a document to load, or a failed attempt to record. */
type Work = { kind: "load"; input: LoadInput } | { kind: "failure"; attempt: FailedAttempt };

interface Waiting {
  work: Work;
  /** When it started waiting: the wait counts in a document's duration. */
  since: number;
  signal: AbortSignal | undefined;
  resolve: (loaded: boolean) => void;
  reject: (err: unknown) => void;
  onAbort: () => void;
}

/**
 * Group commit: documents that finish fetch and extract while a transaction
 * is in flight are loaded together in the next one, with multi-row
 * statements. Under light load a document goes alone, at once; under heavy
 * load batches grow up to `maxBatch`, so Postgres sees a few large
 * transactions instead of many small ones. Failed attempts are recorded the
 * same way (record), in the same transactions.
 *
 * A job's promise settles only after its batch commits. If a batch fails,
 * each of its documents is loaded again in a transaction of its own
 * (loadDocument), and each failure recorded on its own, so one bad document
 * fails alone with its own error and delays its neighbours by one round trip.
 */
export class LoadBatcher {
  /** What it did so far: transactions of more than one entry, the documents and failures in them, batches that fell back. */
  readonly stats = { batches: 0, batchedDocuments: 0, batchedFailures: 0, fallbacks: 0 };
  private waiting: Waiting[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: LoadBatcherOptions,
  ) {}

  /** Loads one document (see loadDocument); rejects with an ImportFailure (stage `load`). */
  load(input: LoadInput, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.reject(timedOut());
    return this.enqueue({ kind: "load", input }, signal);
  }

  /**
   * Records a failed attempt on its ledger row, with its page if it has one
   * (recordFailure, recordFailedPage), once a transaction has taken it. Not
   * bound to the attempt's signal: a timed-out attempt is recorded all the same.
   */
  async record(attempt: FailedAttempt): Promise<void> {
    await this.enqueue({ kind: "failure", attempt }, undefined);
  }

  private enqueue(work: Work, signal: AbortSignal | undefined): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      const entry: Waiting = {
        work,
        since: performance.now(),
        signal,
        resolve,
        reject,
        onAbort: () => {
          // Still waiting for a batch: leave it. Once in a batch, the batch
          // (bounded by statement_timeout) decides.
          const at = this.waiting.indexOf(entry);
          if (at !== -1) {
            this.waiting.splice(at, 1);
            reject(timedOut());
          }
        },
      };
      signal?.addEventListener("abort", entry.onAbort, { once: true });
      this.waiting.push(entry);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.options.maxInFlight || this.waiting.length === 0) return;
    this.scheduled = true;
    // Gather what else finishes in this turn of the event loop.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.inFlight < this.options.maxInFlight && this.waiting.length > 0) {
      const batch: Waiting[] = [];
      const rest: Waiting[] = [];
      const keys = new Set<string>();
      let chars = 0;
      for (const entry of this.waiting) {
        const size = textSize(entry.work);
        // The same legacy id twice in one multi-row upsert is an error, the same ledger row
        // twice in one update ambiguous: the repeat waits.
        const key = entry.work.kind === "load" ? `d:${entry.work.input.document.id}` : `f:${entry.work.attempt.record.ledgerId}`;
        if (
          batch.length < this.options.maxBatch &&
          !keys.has(key) &&
          (batch.length === 0 || chars + size <= (this.options.maxBatchChars ?? LOAD_MAX_BATCH_CHARS))
        ) {
          keys.add(key);
          batch.push(entry);
          chars += size;
        } else rest.push(entry);
      }
      this.waiting = rest;
      const now = performance.now();
      for (const entry of batch) {
        entry.signal?.removeEventListener("abort", entry.onAbort);
        if (entry.work.kind === "load") {
          const input = entry.work.input;
          entry.work = { kind: "load", input: { ...input, durationMs: input.durationMs + now - entry.since } };
        }
      }
      this.inFlight++;
      void this.run(batch).finally(() => {
        this.inFlight--;
        this.schedule();
      });
    }
  }

  private async run(batch: Waiting[]): Promise<void> {
    if (batch.length === 1) {
      await this.alone(batch[0] as Waiting);
      return;
    }
    const loads: { entry: Waiting; input: LoadInput }[] = [];
    const failures: { entry: Waiting; attempt: FailedAttempt }[] = [];
    for (const entry of batch) {
      if (entry.work.kind === "load") loads.push({ entry, input: entry.work.input });
      else failures.push({ entry, attempt: entry.work.attempt });
    }
    let loaded: Set<string>;
    try {
      loaded = await this.transaction(
        loads.map((l) => l.input),
        failures.map((f) => f.attempt),
      );
    } catch {
      this.stats.fallbacks++;
      // Find the culprit the slow way: each on its own.
      await Promise.all(batch.map((entry) => this.alone(entry)));
      return;
    }
    this.stats.batches++;
    this.stats.batchedDocuments += loads.length;
    this.stats.batchedFailures += failures.length;
    for (const { entry, input } of loads) entry.resolve(loaded.has(input.ledgerId));
    for (const { entry } of failures) entry.resolve(true);
  }

  /** One entry in a transaction of its own. */
  private async alone(entry: Waiting): Promise<void> {
    const { work } = entry;
    if (work.kind === "load") {
      await loadDocument(this.pool, work.input, entry.signal).then(entry.resolve, entry.reject);
      return;
    }
    const { record, page } = work.attempt;
    await (page ? recordFailedPage(this.pool, record, page) : recordFailure(this.pool, record)).then(
      () => entry.resolve(true),
      entry.reject,
    );
  }

  private async transaction(inputs: LoadInput[], failures: FailedAttempt[]): Promise<Set<string>> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw failureFromPgError(err, "load batch");
    }
    let broken: Error | undefined;
    try {
      return await loadBatch(client, inputs, failures);
    } catch (err) {
      broken = err as Error;
      throw err;
    } finally {
      // A connection whose transaction failed is not trusted again.
      client.release(broken);
    }
  }
}

function textSize(work: Work): number {
  if (work.kind === "load") return work.input.document.title.length + work.input.document.body.length;
  const { message, stacktrace } = work.attempt.record;
  return message.length + (stacktrace?.length ?? 0);
}

function timedOut(): ImportFailure {
  return new ImportFailure("timeout", "load aborted after the attempt's timeout", { stage: "load" });
}
