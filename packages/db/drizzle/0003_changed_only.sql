ALTER TYPE "public"."import_status" ADD VALUE 'skipped';--> statement-breakpoint
ALTER TABLE "documents" ADD COLUMN "transform_version" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "import_runs" ADD COLUMN "changed_only" boolean DEFAULT false NOT NULL;