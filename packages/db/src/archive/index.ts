export { archivePages, ARCHIVE_STATEMENT_BYTES, type ArchivedPage } from "./archive-pages.js";
export { archiveHoldsPages } from "./archive-holds-pages.js";
export { archiveStats, type ArchiveStats } from "./archive-stats.js";
export { latestPage, latestPages } from "./latest-page.js";
export { readLatestPages, readPageBodies, type PageHead } from "./read-latest-pages.js";
export { recordFailedPage } from "./record-failed-page.js";
export type { StoredPage } from "./stored-page.js";
