/** The one queue Porter uses. Its keys live under `{prefix}:imports:*`. */
export const QUEUE_NAME = "imports";

/** The name every import job is added with (BullMQ's job name; the worker takes any). */
export const IMPORT_JOB_NAME = "import";

/** The name of the custom backoff strategy registered by every worker. */
export const BACKOFF_TYPE = "porter";

/** The name of a job that carries several documents' first attempts (JOB_DOCUMENTS of them). */
export const CHUNK_JOB_NAME = "import-chunk";

/** What a job of one document carries; the job id is the ledger row's id. */
export interface ImportJobData {
  runId: string;
  legacyId: string;
  /** The listing's updatedAt for the document, kept with its page in the archive; absent in jobs added before it existed. */
  updatedAt?: string | null;
  /** Attempts made before this job (in a chunk job): the ledger counts on from them. Absent: none. */
  priorAttempts?: number;
}

/** One document of a chunk job: its ledger row. */
export interface ChunkDocument {
  /** The ledger row's id. */
  id: string;
  legacyId: string;
  updatedAt: string | null;
}

/** What a chunk job carries: first attempts at a few documents of one run; the job id is `chunk-{first ledger id}`. */
export interface ChunkJobData {
  runId: string;
  documents: ChunkDocument[];
}

/** Any job of the import queue. */
export type QueueJobData = ImportJobData | ChunkJobData;
