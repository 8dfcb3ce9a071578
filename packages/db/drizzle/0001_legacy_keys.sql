-- Legacy ids become unique through a 32-byte digest (a btree entry holds at most 2,704 bytes,
-- and ids can be longer): sha256 of the id's UTF-8, as packages/db/src/legacy-key.ts computes it.
-- convert_to is only STABLE (it reads the encoding tables); to UTF-8 it cannot change, so the
-- wrapper may be IMMUTABLE, as a generated column requires.
CREATE FUNCTION porter_legacy_key(legacy_id text) RETURNS bytea
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT sha256(convert_to(legacy_id, 'UTF8')) $$;--> statement-breakpoint
ALTER TABLE "documents" ADD COLUMN "legacy_key" "bytea" GENERATED ALWAYS AS (porter_legacy_key(legacy_id)) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "documents" DROP CONSTRAINT "documents_legacy_id_unique";--> statement-breakpoint
ALTER TABLE "documents" ADD CONSTRAINT "documents_legacy_key_unique" UNIQUE("legacy_key");--> statement-breakpoint
-- The ledger's key is written by the enqueuer: an id stored escaped (legacy-key.ts) has a key of its own.
ALTER TABLE "service_imports" ADD COLUMN "legacy_key" "bytea";--> statement-breakpoint
UPDATE "service_imports" SET "legacy_key" = porter_legacy_key("legacy_id");--> statement-breakpoint
ALTER TABLE "service_imports" ALTER COLUMN "legacy_key" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "service_imports" DROP CONSTRAINT "service_imports_run_legacy_unique";--> statement-breakpoint
ALTER TABLE "service_imports" ADD CONSTRAINT "service_imports_run_legacy_key_unique" UNIQUE("run_id","legacy_key");--> statement-breakpoint
ALTER TABLE "import_runs" ADD COLUMN "listing_error" text;
