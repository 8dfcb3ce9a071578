export { legacyDocumentSchema, parseLegacyDocument, idProblem, isStorableText, isValidTimestamp, type LegacyDocument } from "./document.js";
export { extractEmbeddedJson, extractDocument } from "./extract.js";
export { quoteShort } from "./quote-short.js";
export { documentPath, encodePathSegment } from "./document-path.js";
export { listPageSchema, parseListPage } from "./listing.js";
export { createHttpSource, type HttpSourceOptions } from "./http-source.js";
export type { Source, ListPage, ListedDocument, BodyReservation } from "./source.js";
