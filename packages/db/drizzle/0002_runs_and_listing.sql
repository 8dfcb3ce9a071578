CREATE TYPE "public"."run_source" AS ENUM('legacy', 'archive');--> statement-breakpoint
ALTER TABLE "import_runs" ADD COLUMN "source" "run_source" DEFAULT 'legacy' NOT NULL;--> statement-breakpoint
ALTER TABLE "import_runs" ADD COLUMN "replay_of" uuid;--> statement-breakpoint
ALTER TABLE "service_imports" ADD COLUMN "listed_updated_at" text;