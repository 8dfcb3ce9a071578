import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Stage } from "@porter/failures";
import type { Logger } from "@porter/logger";
import type { ImportQueue } from "@porter/queue";
import type { AttemptObserver, AttemptWatch } from "./attempt-observer.js";
import { HEALTH_CHECK_TIMEOUT_MS } from "./tuning.js";

/** Queue states reported by `porter_queue_jobs` (completed jobs are removed at once, so not listed). */
export const QUEUE_STATES = ["waiting", "prioritized", "delayed", "active", "failed"] as const;

export interface WorkerMetrics {
  /** A registry of its own (not prom-client's global one), so several workers can live in one process. */
  registry: Registry;
  observer: AttemptObserver;
  /** Attempts running now in this process. */
  inFlight(): number;
}

export interface WorkerMetricsOptions {
  /** Read on each scrape for `porter_queue_jobs`; one cheap round trip. */
  queue: ImportQueue;
  logger: Logger;
  /** Longest a scrape waits for the queue counts before leaving them out; default HEALTH_CHECK_TIMEOUT_MS. */
  queueTimeoutMs?: number;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The worker's Prometheus metrics. Per document they cost a few in-memory
 * increments; the only I/O is the queue counts, read when Prometheus scrapes.
 */
export function createWorkerMetrics(options: WorkerMetricsOptions): WorkerMetrics {
  const { queue, logger } = options;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const finished = new Counter({
    name: "porter_documents_finished_total",
    help: "Documents this worker finished for good, by status (succeeded, failed, refused: cancelled or rolled back meanwhile) and, for failures, error kind.",
    labelNames: ["status", "kind"] as const,
    registers,
  });
  const attemptFailures = new Counter({
    name: "porter_attempt_failures_total",
    help: "Failed attempts, retried or final, by error kind and stage.",
    labelNames: ["kind", "stage"] as const,
    registers,
  });
  const duration = new Histogram({
    name: "porter_attempt_duration_seconds",
    help: "Time an attempt spent in each stage (fetch, extract, load), failed attempts included.",
    labelNames: ["stage"] as const,
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });
  let inFlight = 0;
  new Gauge({
    name: "porter_jobs_in_flight",
    help: "Attempts running now in this worker process (at most WORKER_CONCURRENCY).",
    registers,
    collect() {
      this.set(inFlight);
    },
  });
  const queueTimeoutMs = options.queueTimeoutMs ?? HEALTH_CHECK_TIMEOUT_MS;
  new Gauge({
    name: "porter_queue_jobs",
    help: "Jobs in the import queue by state, shared by all workers (aggregate with max, not sum).",
    labelNames: ["state"] as const,
    registers,
    async collect() {
      try {
        const counts = await withTimeout(queue.getJobCounts(...QUEUE_STATES), queueTimeoutMs, "reading the queue counts");
        for (const state of QUEUE_STATES) this.set({ state }, counts[state] ?? 0);
      } catch (err) {
        // Left out rather than stale: a missing series says "unknown".
        this.reset();
        logger.debug({ err }, "could not read the queue counts for /metrics");
      }
    },
  });

  class Watch implements AttemptWatch {
    private stage: Stage = "fetch";
    private since = performance.now();
    private done = false;

    constructor() {
      inFlight++;
    }

    enter(stage: Stage): void {
      this.observe();
      this.stage = stage;
    }

    succeeded(): void {
      if (!this.end()) return;
      finished.inc({ status: "succeeded" });
    }

    refused(): void {
      if (!this.end()) return;
      finished.inc({ status: "refused" });
    }

    failed(failure: { kind: string; stage: Stage | undefined }, final: boolean): void {
      if (!this.end()) return;
      attemptFailures.inc({ kind: failure.kind, stage: failure.stage ?? this.stage });
      if (final) finished.inc({ status: "failed", kind: failure.kind });
    }

    private observe(): void {
      const now = performance.now();
      duration.observe({ stage: this.stage }, (now - this.since) / 1_000);
      this.since = now;
    }

    /** Observes the last stage once; false if the attempt had already ended. */
    private end(): boolean {
      if (this.done) return false;
      this.done = true;
      inFlight--;
      this.observe();
      return true;
    }
  }

  return {
    registry,
    observer: { start: () => new Watch() },
    inFlight: () => inFlight,
  };
}
