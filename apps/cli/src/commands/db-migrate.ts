import { loadConfig, redactUrl } from "@porter/config";
import { migrateDatabase } from "@porter/db";

/** `porter db migrate`: creates the database if missing, applies the committed migrations. */
export async function dbMigrateCommand(): Promise<number> {
  const config = loadConfig();
  const { created } = await migrateDatabase(config.databaseUrl);
  process.stdout.write(
    `${created ? "created database and applied" : "applied"} migrations: ${redactUrl(config.databaseUrl)}\n`,
  );
  return 0;
}
