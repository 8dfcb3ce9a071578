export { createArchiveSource, type ArchiveSourceOptions } from "./archive-source.js";
export { toArchivedPage } from "./page-record.js";
export { exportArchive, type ExportResult } from "./export-archive.js";
