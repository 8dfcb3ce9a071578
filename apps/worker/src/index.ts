export { createImportProcessor, type ImportProcessor, type ProcessorDeps } from "./process-import.js";
export { createImportWorker, type ImportWorker, type WorkerDeps } from "./create-worker.js";
export { runWorker } from "./run-worker.js";
export { LoadBatcher, type LoadBatcherOptions } from "./load-batcher.js";
export { Reconciler, type ReconcilerDeps, type TickResult } from "./reconciler.js";
export { RECONCILE_BATCH } from "./tuning.js";
