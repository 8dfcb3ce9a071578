import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  text,
  timestamp,
  unique,
  uuid,
} from "drizzle-orm/pg-core";

/** Raw bytes: the SHA-256 keys of legacy ids (see legacy-key.ts). */
const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => "bytea" });

// Timestamps keep Postgres's full microsecond precision and their offset.
const tstz = (name: string) => timestamp(name, { withTimezone: true, precision: 6, mode: "string" });

export const runStatus = pgEnum("run_status", ["listing", "running", "completed", "cancelled", "rolled_back"]);
export const runSource = pgEnum("run_source", ["legacy", "archive"]);
/** What a dry run found a real run would do with a document it fetched and validated. */
export const importProjection = pgEnum("import_projection", ["new", "changed", "unchanged"]);
export const importStatus = pgEnum("import_status", ["pending", "running", "succeeded", "failed", "rolled_back", "skipped", "cancelled"]);

/** One migration run: its listing checkpoint and its options. */
export const importRuns = pgTable("import_runs", {
  id: uuid("id").primaryKey().defaultRandom(),
  status: runStatus("status").notNull().default("listing"),
  /** The listing cursor of the next page to read; null before the first page and after the last. */
  cursor: text("cursor"),
  /** Distinct legacy ids written to the ledger so far. */
  listed: integer("listed").notNull().default(0),
  /** Why the listing stopped before its end (a cursor seen twice, no progress): what was listed is still migrated. */
  listingError: text("listing_error"),
  options: jsonb("options").notNull().default(sql`'{}'::jsonb`),
  /** Where the run reads its listing and pages: `legacy` (the legacy service) or `archive` (a replay of `replay_of`). */
  source: runSource("source").notNull().default("legacy"),
  /** The run a replay lists again and reads from the archive; null for a run of the legacy service. */
  replayOf: uuid("replay_of"),
  /** A changed-only run: a listed document the target holds unchanged (same updatedAt, same transform version) is skipped. */
  changedOnly: boolean("changed_only").notNull().default(false),
  /** A dry run: documents are fetched (and archived), extracted and validated, and nothing is written to the target. */
  dryRun: boolean("dry_run").notNull().default(false),
  startedAt: tstz("started_at").notNull().defaultNow(),
  listedAt: tstz("listed_at"),
  finishedAt: tstz("finished_at"),
  /** Milliseconds the run spent working in its spans that ended (started or requeued, to completed): its pace is per working time, not per age. */
  activeMs: bigint("active_ms", { mode: "number" }).notNull().default(0),
  /** When the current span began, if a requeue reopened the completed run; null: at started_at. */
  resumedAt: tstz("resumed_at"),
  updatedAt: tstz("updated_at").notNull().defaultNow(),
});

/** The ledger: the truth about every document of every run. Redis may be flushed; this is not. */
export const serviceImports = pgTable(
  "service_imports",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    runId: uuid("run_id")
      .notNull()
      .references(() => importRuns.id, { onDelete: "cascade" }),
    /** The id as listed; escaped as a JSON string literal when Postgres text cannot hold it (an `invalid_id` failure). */
    legacyId: text("legacy_id").notNull(),
    /** What makes the id unique in the run: a digest, since ids can be longer than a btree entry (legacy-key.ts). */
    legacyKey: bytea("legacy_key").notNull(),
    /** The listing's updatedAt for this id, as the listing wrote it; null when it was not a string. */
    listedUpdatedAt: text("listed_updated_at"),
    status: importStatus("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    errorKind: text("error_kind"),
    errorStage: text("error_stage"),
    lastError: text("last_error"),
    stacktrace: text("stacktrace"),
    durationMs: integer("duration_ms"),
    /** In a dry run, for a document that would load: whether the target would gain it, change it or find it unchanged. */
    projection: importProjection("projection"),
    createdAt: tstz("created_at").notNull().defaultNow(),
    updatedAt: tstz("updated_at").notNull().defaultNow(),
    finishedAt: tstz("finished_at"),
  },
  (t) => [
    unique("service_imports_run_legacy_key_unique").on(t.runId, t.legacyKey),
    index("service_imports_run_status_idx").on(t.runId, t.status),
  ],
);

/** The replacement system's documents. */
export const documents = pgTable(
  "documents",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    legacyId: text("legacy_id").notNull(),
    /** sha256 of legacy_id's UTF-8, computed by Postgres: unique whatever the id's length (legacy-key.ts). */
    legacyKey: bytea("legacy_key")
      .notNull()
      .generatedAlwaysAs(sql`porter_legacy_key(legacy_id)`)
      .unique("documents_legacy_key_unique"),
    title: text("title").notNull(),
    body: text("body").notNull(),
    authorId: text("author_id").notNull(),
    authorName: text("author_name").notNull(),
    tags: text("tags").array().notNull(),
    createdAt: tstz("created_at").notNull(),
    updatedAt: tstz("updated_at").notNull(),
    /** The run that last wrote this document: what a rollback of that run deletes. */
    runId: uuid("run_id").notNull(),
    /** The version of Porter's extraction and transform that wrote the row (TRANSFORM_VERSION); 0 before versions were kept. */
    transformVersion: integer("transform_version").notNull().default(0),
    importedAt: tstz("imported_at").notNull().defaultNow(),
  },
  (t) => [index("documents_run_id_idx").on(t.runId)],
);

export const documentAttachments = pgTable(
  "document_attachments",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    documentId: uuid("document_id")
      .notNull()
      .references(() => documents.id, { onDelete: "cascade" }),
    /** Order of the attachment in the source document, from 0. */
    position: integer("position").notNull(),
    name: text("name").notNull(),
    url: text("url").notNull(),
    sizeBytes: bigint("size_bytes", { mode: "bigint" }).notNull(),
  },
  (t) => [index("document_attachments_document_id_idx").on(t.documentId, t.position)],
);
