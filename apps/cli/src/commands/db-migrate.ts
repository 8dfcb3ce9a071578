import { loadConfig, redactUrl } from "@porter/config";
import { migrateArchiveDatabase, migrateDatabase } from "@porter/db";

/**
 * `porter db migrate`: creates the database if missing, applies the committed
 * migrations; the page archive's go into ARCHIVE_DATABASE_URL's database when
 * it names one, else into the target database.
 */
export async function dbMigrateCommand(): Promise<number> {
  const config = loadConfig();
  const separate = config.archiveDatabaseUrl !== undefined;
  const { created } = await migrateDatabase(config.databaseUrl, { archive: !separate });
  process.stdout.write(
    `${created ? "created database and applied" : "applied"} migrations: ${redactUrl(config.databaseUrl)}\n`,
  );
  if (config.archiveDatabaseUrl !== undefined) {
    const archive = await migrateArchiveDatabase(config.archiveDatabaseUrl);
    process.stdout.write(
      `${archive.created ? "created database and applied" : "applied"} archive migrations: ${redactUrl(config.archiveDatabaseUrl)}\n`,
    );
  }
  return 0;
}
