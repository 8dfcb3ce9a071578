import { loadConfig, redactUrl } from "@porter/config";
import { migrateArchiveDatabase, migrateDatabase } from "@porter/db";
import { postgresProblemOf, ServiceUnavailable } from "@porter/runs";

/** Runs a migration; a Postgres that cannot be reached or refuses becomes one line naming `variable` (exit 4). */
export async function migrating<T>(work: () => Promise<T>, variable: string, url: string): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const problem = postgresProblemOf(err, variable, url);
    if (problem !== undefined) throw new ServiceUnavailable([variable === "DATABASE_URL" ? "postgres" : "archive"], problem);
    throw err;
  }
}

/**
 * `porter db migrate`: creates the database if missing, applies the committed
 * migrations; the page archive's go into ARCHIVE_DATABASE_URL's database when
 * it names one, else into the target database.
 */
export async function dbMigrateCommand(): Promise<number> {
  const config = loadConfig();
  const separate = config.archiveDatabaseUrl !== undefined;
  const { created } = await migrating(() => migrateDatabase(config.databaseUrl, { archive: !separate }), "DATABASE_URL", config.databaseUrl);
  process.stdout.write(
    `${created ? "created database and applied" : "applied"} migrations: ${redactUrl(config.databaseUrl)}\n`,
  );
  if (config.archiveDatabaseUrl !== undefined) {
    const url = config.archiveDatabaseUrl;
    const archive = await migrating(() => migrateArchiveDatabase(url), "ARCHIVE_DATABASE_URL", url);
    process.stdout.write(
      `${archive.created ? "created database and applied" : "applied"} archive migrations: ${redactUrl(config.archiveDatabaseUrl)}\n`,
    );
  }
  return 0;
}
