export { openConnections, type ConnectionOptions, type Connections } from "./connections.js";
export {
  createRunOperations,
  listPolicy,
  rollbackInFlightWaitMs,
  type RunOperations,
  type RunOperationsDeps,
} from "./operations.js";
export { followRun, readProgress, toSummary, type FollowOptions, type RunProgress, type RunSummary } from "./follow-run.js";
export { requeueRun, type RequeueResult, type RunOpsDeps } from "./requeue-run.js";
export { cancelRun, reopenCancelledRun, type CancelResult } from "./cancel-run.js";
export { rollbackRun, ROLLBACK_BATCH, type RollbackOptions, type RollbackProgress, type RollbackResult } from "./rollback-run.js";
export { ReplayRefused, replayTarget, sourceOf } from "./replay.js";
export { verifyRun, type VerifyDeps, type VerifyOptions, type VerifyReport } from "./verify-run.js";
// The listing's pieces, shared by verify and the enqueuer.
export { listPage, type ListPolicy } from "./list-page.js";
export { ListingGuard, ListingStopped } from "./listing-guard.js";
export { toListedId, toListedIds } from "./listed-ids.js";
export { StoreRetry, StoreUnavailableError, type Store, type StoreRetryOptions } from "./store-retry.js";
export { postgresProblemOf, preflight, PREFLIGHT_TIMEOUT_MS, ServiceUnavailable, type Service } from "./preflight.js";
