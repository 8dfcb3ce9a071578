export { POSTGRES_URL, REDIS_URL, uniqueName } from "./services.js";
export { createTestDatabase, type TestDatabase } from "./test-database.js";
export { createTestQueue, type TestQueue } from "./test-queue.js";
export { waitFor, type WaitOptions } from "./wait-for.js";
export { runPorter, spawnPorter, type PorterProcess } from "./porter-process.js";
export { startLegacySimProcess } from "./legacy-sim-process.js";
export { freePort, startPrivateRedis, type PrivateRedis } from "./redis-server.js";
export { startPrivatePostgres, type PrivatePostgres, type PrivatePostgresOptions } from "./postgres-server.js";
