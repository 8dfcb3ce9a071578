export { loadDocument, type DocumentRecord, type LoadInput } from "./load-document.js";
export { loadBatch, type FailedAttempt } from "./load-batch.js";
