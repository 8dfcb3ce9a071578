export { FAILURE_KINDS, isFailureKind, type FailureKind, type Stage } from "./kinds.js";
export { ImportFailure, type ImportFailureOptions } from "./import-failure.js";
export {
  failureFromHttpStatus,
  failureFromNetworkError,
  failureFromPgError,
  parseRetryAfter,
  toImportFailure,
} from "./classify.js";
export { connectionLoss } from "./connection-loss.js";
