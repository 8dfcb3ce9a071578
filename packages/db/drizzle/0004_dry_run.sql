CREATE TYPE "public"."import_projection" AS ENUM('new', 'changed', 'unchanged');--> statement-breakpoint
ALTER TABLE "import_runs" ADD COLUMN "dry_run" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "service_imports" ADD COLUMN "projection" "import_projection";