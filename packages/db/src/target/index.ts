export { loadDocument, type DocumentRecord, type LoadInput } from "./load-document.js";
