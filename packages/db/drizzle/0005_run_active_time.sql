ALTER TABLE "import_runs" ADD COLUMN "active_ms" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "import_runs" ADD COLUMN "resumed_at" timestamp(6) with time zone;--> statement-breakpoint
-- Runs completed before: their working time is their age at completion.
UPDATE "import_runs" SET "active_ms" = (extract(epoch FROM "finished_at" - "started_at") * 1000)::bigint
 WHERE "status" = 'completed' AND "finished_at" IS NOT NULL;
