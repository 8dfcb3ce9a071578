export { loadDocument, type DocumentRecord, type LoadInput } from "./load-document.js";
export { loadBatch } from "./load-batch.js";
