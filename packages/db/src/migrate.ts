import { fileURLToPath } from "node:url";
import pg from "pg";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";

const MIGRATIONS = fileURLToPath(new URL("../drizzle", import.meta.url));
/** The page archive's migrations: a schema of its own, in whichever database holds the archive. */
const ARCHIVE_MIGRATIONS = fileURLToPath(new URL("../drizzle-archive", import.meta.url));

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Creates the database named in `connectionString` when it does not exist. Returns true if it did. */
export async function ensureDatabase(connectionString: string): Promise<boolean> {
  const url = new URL(connectionString);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!name) throw new Error("DATABASE_URL names no database (expected postgres://user@host:port/name)");
  url.pathname = "/postgres";
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    const found = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (found.rowCount) return false;
    try {
      await admin.query(`CREATE DATABASE ${quoteIdent(name)}`);
    } catch (err) {
      // Another process created it between our check and our CREATE.
      if ((err as { code?: string }).code === "42P04") return false;
      throw err;
    }
    return true;
  } finally {
    await admin.end();
  }
}

export interface MigrateOptions {
  /** Also create the page archive's schema in this database (the default: the archive lives beside the target). */
  archive?: boolean;
}

/**
 * Creates the database if missing, then applies the committed drizzle
 * migrations: the target tables and the ledger, and unless `archive` is
 * false the page archive (porter_archive), which has migrations of its own.
 */
export async function migrateDatabase(connectionString: string, options: MigrateOptions = {}): Promise<{ created: boolean }> {
  const created = await ensureDatabase(connectionString);
  await withMigrationLock(connectionString, async (client) => {
    await migrate(drizzle(client), { migrationsFolder: MIGRATIONS });
    if (options.archive !== false) await migrateArchiveSchema(client);
  });
  return { created };
}

/** Creates the database if missing and the page archive's schema in it, nothing else (ARCHIVE_DATABASE_URL). */
export async function migrateArchiveDatabase(connectionString: string): Promise<{ created: boolean }> {
  const created = await ensureDatabase(connectionString);
  await withMigrationLock(connectionString, migrateArchiveSchema);
  return { created };
}

function migrateArchiveSchema(client: pg.Client): Promise<void> {
  return migrate(drizzle(client), {
    migrationsFolder: ARCHIVE_MIGRATIONS,
    migrationsSchema: "porter_archive",
    migrationsTable: "__migrations",
  });
}

async function withMigrationLock(connectionString: string, work: (client: pg.Client) => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    // Serialise concurrent `porter db migrate` calls (several containers starting at once).
    await client.query("SELECT pg_advisory_lock(7250734)");
    await work(client);
  } finally {
    await client.end();
  }
}
