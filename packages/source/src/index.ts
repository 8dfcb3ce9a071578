export { legacyDocumentSchema, parseLegacyDocument, idProblem, isStorableText, isValidTimestamp, type LegacyDocument } from "./document.js";
export { extractEmbeddedJson, extractDocument } from "./extract.js";
export { quoteShort } from "./quote-short.js";
export { documentPath, encodePathSegment, sameServiceUrl } from "./document-path.js";
export { listPageSchema, parseListPage } from "./listing.js";
export { createHttpSource, type HttpSourceOptions } from "./http-source.js";
export { decodeUtf8, pageText } from "./page-text.js";
export type { Source, FetchedPage, ListPage, ListedDocument, BodyReservation } from "./source.js";
export { TRANSFORM_VERSION } from "./transform-version.js";
