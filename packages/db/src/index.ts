export { createPool, type PoolOptions, type Queryable } from "./pool.js";
export { ensureDatabase, migrateArchiveDatabase, migrateDatabase, type MigrateOptions } from "./migrate.js";
export * as schema from "./schema.js";
export { escapedLegacyKey, escapeLegacyId, legacyKey } from "./legacy-key.js";
export * from "./ledger/index.js";
export * from "./loader/index.js";
export * from "./verify/index.js";
export * from "./archive/index.js";
