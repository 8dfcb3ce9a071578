export { createRun, type RunKind } from "./create-run.js";
export { getLatestRunIn, getRun } from "./get-run.js";
export { recordListedPage, type InvalidListedId, type LedgerRow, type ListedEntry, type ListedId, type RecordPageOptions } from "./record-listed-page.js";
export { checkpointListing } from "./checkpoint-listing.js";
export { stopListing } from "./stop-listing.js";
export { recordFailure, recordFailures, type FailureRecord } from "./record-failure.js";
export { completeRunIfDone } from "./complete-run-if-done.js";
export { cancelRun, reopenCancelled } from "./cancel-run.js";
export { countByStatus, type StatusCounts } from "./count-by-status.js";
export { countFailuresByKind } from "./count-failures-by-kind.js";
export { IMPORT_STATUSES, type ImportProjection, type ImportStatus, type Run, type RunSource, type RunStatus } from "./types.js";
export { listFailures, type FailureRow, type ListFailuresOptions } from "./list-failures.js";
export { requeueFailed, REQUEUEABLE_RUN_STATUSES, type RequeuedRow } from "./requeue-failed.js";
export { beginRollback } from "./begin-rollback.js";
export { markImportsRolledBack } from "./mark-imports-rolled-back.js";
export { deleteRunDocuments } from "./delete-run-documents.js";
export { finishRollback } from "./finish-rollback.js";
export { countRunFootprint, type RunFootprint } from "./count-run-footprint.js";
export { listActiveRuns } from "./list-active-runs.js";
export {
  findStaleImports,
  type FindStaleImportsOptions,
  type StaleImport,
  type StaleImportsCursor,
} from "./find-stale-imports.js";
export { claimForRevival, type RevivedRow } from "./claim-for-revival.js";
export { findUntried } from "./find-untried.js";
export { listRuns } from "./list-runs.js";
export { listRunEntries, type RunEntry } from "./list-run-entries.js";
export { findImports, type ImportOutcome } from "./find-import.js";
export { countProjections, type ProjectionCounts } from "./count-projections.js";
export { documentHistory, searchLegacyIds, type DocumentHistory, type HistoryEntry, type TargetRow } from "./document-history.js";
export { runThroughput, type RunThroughput, type ThroughputBucket } from "./run-throughput.js";
