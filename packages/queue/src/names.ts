/** The one queue Porter uses. Its keys live under `{prefix}:imports:*`. */
export const QUEUE_NAME = "imports";

/** The name every import job is added with (BullMQ's job name; the worker takes any). */
export const IMPORT_JOB_NAME = "import";

/** The name of the custom backoff strategy registered by every worker. */
export const BACKOFF_TYPE = "porter";

/** What a job carries; the job id is the ledger row's id. */
export interface ImportJobData {
  runId: string;
  legacyId: string;
  /** The listing's updatedAt for the document, kept with its page in the archive; absent in jobs added before it existed. */
  updatedAt?: string | null;
}
