export { createArchiveSource, type ArchiveSourceOptions } from "./archive-source.js";
export { toArchivedPage } from "./page-record.js";
export { ExportRefused, exportArchive, type ExportResult } from "./export-archive.js";
