export { Demand, type DemandOptions } from "./demand.js";
export { enqueueRun, type EnqueueDeps, type EnqueueOptions } from "./enqueue-run.js";
export { followRun, readProgress, toSummary, type FollowOptions, type RunProgress, type RunSummary } from "./follow-run.js";
export { listPage, type ListPolicy } from "./list-page.js";
export { StoreRetry, StoreUnavailableError, type Store, type StoreRetryOptions } from "./store-retry.js";
export { requeueRun, type RequeueResult, type RunOpsDeps } from "./requeue-run.js";
export { rollbackRun, ROLLBACK_BATCH, type RollbackOptions, type RollbackProgress, type RollbackResult } from "./rollback-run.js";
export { verifyRun, type VerifyDeps, type VerifyOptions, type VerifyReport } from "./verify-run.js";
