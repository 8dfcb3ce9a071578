CREATE TYPE "public"."import_status" AS ENUM('pending', 'running', 'succeeded', 'failed', 'rolled_back');--> statement-breakpoint
CREATE TYPE "public"."run_status" AS ENUM('listing', 'running', 'completed', 'cancelled', 'rolled_back');--> statement-breakpoint
CREATE TABLE "document_attachments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"document_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"name" text NOT NULL,
	"url" text NOT NULL,
	"size_bytes" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "documents" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"legacy_id" text NOT NULL,
	"title" text NOT NULL,
	"body" text NOT NULL,
	"author_id" text NOT NULL,
	"author_name" text NOT NULL,
	"tags" text[] NOT NULL,
	"created_at" timestamp(6) with time zone NOT NULL,
	"updated_at" timestamp(6) with time zone NOT NULL,
	"run_id" uuid NOT NULL,
	"imported_at" timestamp(6) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "documents_legacy_id_unique" UNIQUE("legacy_id")
);
--> statement-breakpoint
CREATE TABLE "import_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"status" "run_status" DEFAULT 'listing' NOT NULL,
	"cursor" text,
	"listed" integer DEFAULT 0 NOT NULL,
	"options" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"started_at" timestamp(6) with time zone DEFAULT now() NOT NULL,
	"listed_at" timestamp(6) with time zone,
	"finished_at" timestamp(6) with time zone,
	"updated_at" timestamp(6) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "service_imports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"run_id" uuid NOT NULL,
	"legacy_id" text NOT NULL,
	"status" "import_status" DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"error_kind" text,
	"error_stage" text,
	"last_error" text,
	"stacktrace" text,
	"duration_ms" integer,
	"created_at" timestamp(6) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp(6) with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp(6) with time zone,
	CONSTRAINT "service_imports_run_legacy_unique" UNIQUE("run_id","legacy_id")
);
--> statement-breakpoint
ALTER TABLE "document_attachments" ADD CONSTRAINT "document_attachments_document_id_documents_id_fk" FOREIGN KEY ("document_id") REFERENCES "public"."documents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_imports" ADD CONSTRAINT "service_imports_run_id_import_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."import_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "document_attachments_document_id_idx" ON "document_attachments" USING btree ("document_id","position");--> statement-breakpoint
CREATE INDEX "documents_run_id_idx" ON "documents" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "service_imports_run_status_idx" ON "service_imports" USING btree ("run_id","status");