import pg from "pg";
import { createPool, migrateDatabase } from "@porter/db";
import { POSTGRES_URL, uniqueName } from "./services.js";

export interface TestDatabase {
  url: string;
  name: string;
  pool: pg.Pool;
  /** Ends the pool and drops the database (its connections are terminated first). */
  drop(): Promise<void>;
}

function urlFor(name: string): string {
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A fresh, migrated database of its own for one test file. */
export async function createTestDatabase(label = "porter_test"): Promise<TestDatabase> {
  const name = uniqueName(label).toLowerCase();
  const url = urlFor(name);
  await migrateDatabase(url);
  const pool = createPool({ connectionString: url, max: 5, applicationName: "porter-test" });
  return {
    url,
    name,
    pool,
    async drop() {
      await pool.end();
      const admin = new pg.Client({ connectionString: urlFor("postgres") });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}
