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

function urlFor(name: string, server = POSTGRES_URL): string {
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropDatabase(name: string, server: string): Promise<void> {
  const admin = new pg.Client({ connectionString: urlFor("postgres", server) });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/**
 * Drops the database `name` on `server` if it exists and creates it again,
 * migrated; returns its URL. For a database kept after the run for a look
 * (the benchmark's); a test file takes createTestDatabase.
 */
export async function recreateDatabase(name: string, server = POSTGRES_URL): Promise<string> {
  await dropDatabase(name, server);
  const url = urlFor(name, server);
  await migrateDatabase(url);
  return url;
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
      await dropDatabase(name, POSTGRES_URL);
    },
  };
}
