import type pg from "pg";
import { loadBatch, loadDocument, type LoadInput } from "@porter/db";
import { failureFromPgError, ImportFailure } from "@porter/failures";
import { LOAD_MAX_BATCH_CHARS } from "./tuning.js";

export interface LoadBatcherOptions {
  /** Most documents per transaction. */
  maxBatch: number;
  /**
   * Most text (title and body, in UTF-16 code units) per transaction; a larger document
   * goes alone. pg builds a statement's parameters as strings and buffers several times
   * their size, and batching large documents saves nothing, so they do not share one.
   * Default LOAD_MAX_BATCH_CHARS.
   */
  maxBatchChars?: number;
  /** Most transactions in flight at once; documents arriving meanwhile wait and form the next batch. */
  maxInFlight: number;
}

interface Waiting {
  input: LoadInput;
  /** When it started waiting: the wait counts in the document's duration. */
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
 * transactions instead of many small ones.
 *
 * A job's promise settles only after its batch commits. If a batch fails,
 * each of its documents is loaded again in a transaction of its own
 * (loadDocument), so one bad document fails alone with its own error and
 * delays its neighbours by one round trip.
 */
export class LoadBatcher {
  /** What it did so far: transactions of more than one document, the documents in them, batches that fell back. */
  readonly stats = { batches: 0, batchedDocuments: 0, fallbacks: 0 };
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
    return new Promise<boolean>((resolve, reject) => {
      const entry: Waiting = {
        input,
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
      const ids = new Set<string>();
      let chars = 0;
      for (const entry of this.waiting) {
        const size = textSize(entry.input);
        // The same legacy id twice in one multi-row upsert is an error: the repeat waits.
        if (
          batch.length < this.options.maxBatch &&
          !ids.has(entry.input.document.id) &&
          (batch.length === 0 || chars + size <= (this.options.maxBatchChars ?? LOAD_MAX_BATCH_CHARS))
        ) {
          ids.add(entry.input.document.id);
          batch.push(entry);
          chars += size;
        } else rest.push(entry);
      }
      this.waiting = rest;
      const now = performance.now();
      for (const entry of batch) {
        entry.signal?.removeEventListener("abort", entry.onAbort);
        entry.input = { ...entry.input, durationMs: entry.input.durationMs + now - entry.since };
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
      const only = batch[0] as Waiting;
      await loadDocument(this.pool, only.input, only.signal).then(only.resolve, only.reject);
      return;
    }
    let loaded: Set<string>;
    try {
      loaded = await this.transaction(batch);
    } catch {
      this.stats.fallbacks++;
      // Find the culprit the slow way: each document on its own.
      await Promise.all(
        batch.map((entry) => loadDocument(this.pool, entry.input, entry.signal).then(entry.resolve, entry.reject)),
      );
      return;
    }
    this.stats.batches++;
    this.stats.batchedDocuments += batch.length;
    for (const entry of batch) entry.resolve(loaded.has(entry.input.ledgerId));
  }

  private async transaction(batch: Waiting[]): Promise<Set<string>> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw failureFromPgError(err, "load batch");
    }
    let broken: Error | undefined;
    try {
      return await loadBatch(
        client,
        batch.map((entry) => entry.input),
      );
    } catch (err) {
      broken = err as Error;
      throw err;
    } finally {
      // A connection whose transaction failed is not trusted again.
      client.release(broken);
    }
  }
}

function textSize(input: LoadInput): number {
  return input.document.title.length + input.document.body.length;
}

function timedOut(): ImportFailure {
  return new ImportFailure("timeout", "load aborted after the attempt's timeout", { stage: "load" });
}
