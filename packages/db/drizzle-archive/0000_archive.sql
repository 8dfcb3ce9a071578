-- The page archive: every page a worker fetched with 200, as served (its content coding
-- undone), once per distinct content per document. A schema of its own, in the target
-- database or in the one ARCHIVE_DATABASE_URL names. Written by hand (no drizzle schema):
-- its queries are in packages/db/src/archive/.
CREATE SCHEMA IF NOT EXISTS porter_archive;--> statement-breakpoint
CREATE TABLE porter_archive.pages (
  -- sha256 of the id's UTF-8, as packages/db/src/legacy-key.ts computes it
  legacy_key bytea NOT NULL,
  -- sha256 of body: a page whose bytes did not change is not stored again
  sha256 bytea NOT NULL,
  legacy_id text NOT NULL,
  -- the listing's updatedAt when it was last fetched, as the listing wrote it
  listed_updated_at text,
  content_type text,
  body bytea NOT NULL,
  raw_bytes integer NOT NULL,
  first_run_id uuid NOT NULL,
  run_id uuid NOT NULL,
  first_fetched_at timestamptz(6) NOT NULL,
  fetched_at timestamptz(6) NOT NULL,
  PRIMARY KEY (legacy_key, sha256)
);--> statement-breakpoint
-- A document's latest page: what a replay reads.
CREATE INDEX pages_latest_idx ON porter_archive.pages (legacy_key, fetched_at DESC);--> statement-breakpoint
-- lz4 where the server was built with it (PostgreSQL 14+ with --with-lz4, as Debian's is); pglz otherwise.
DO $$
BEGIN
  ALTER TABLE porter_archive.pages ALTER COLUMN body SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value OR syntax_error THEN
  RAISE NOTICE 'lz4 compression is not available; the archive uses pglz';
END $$;
