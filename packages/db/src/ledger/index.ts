export { createRun } from "./create-run.js";
export { getRun } from "./get-run.js";
export { recordListedPage, type LedgerRow } from "./record-listed-page.js";
export { checkpointListing } from "./checkpoint-listing.js";
export { recordFailure, type FailureRecord } from "./record-failure.js";
export { completeRunIfDone } from "./complete-run-if-done.js";
export { countByStatus, type StatusCounts } from "./count-by-status.js";
export { countFailuresByKind } from "./count-failures-by-kind.js";
export { IMPORT_STATUSES, type ImportStatus, type Run, type RunStatus } from "./types.js";
