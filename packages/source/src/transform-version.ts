/**
 * The version of what Porter makes of a page: the extraction (data-script.ts,
 * extract.ts), the validation (document.ts) and the columns the loader writes.
 * Every document row records the version that wrote it, and a changed-only run
 * skips a document only when its row was written by this version: raise it
 * whenever any of them gives another output for the same page. The golden test
 * (test/transform-version.test.ts) fails until it is raised.
 */
export const TRANSFORM_VERSION = 1;
