import type pg from "pg";
import type { Job } from "bullmq";
import { createImportQueue, createRedis, type ImportJobData, type ImportQueue } from "@porter/queue";
import { createHttpSource, type Source } from "@porter/source";
import { createTestDatabase, createTestQueue, REDIS_URL, type TestDatabase } from "@porter/testing";
import type { EnqueueOptions } from "../src/enqueue-run.js";
import { startListingServer, type ListingPages, type ListingServer } from "./listing-server.js";

export const OPTIONS: EnqueueOptions = {
  pageSize: 3,
  highWater: 1_000,
  jobDocuments: 1,
  jobAttempts: 4,
  list: { timeoutMs: 5_000, attempts: 2, backoffBaseMs: 10 },
  listIdleTimeoutMs: 600_000,
  storeOutageMs: 120_000,
};

export interface LedgerEntry {
  id: string;
  legacy_id: string;
  status: string;
}

export async function ledgerOf(pool: pg.Pool, runId: string): Promise<LedgerEntry[]> {
  const { rows } = await pool.query("SELECT id, legacy_id, status FROM service_imports WHERE run_id = $1 ORDER BY legacy_id", [runId]);
  return rows as LedgerEntry[];
}

/** Every job in the queue, whatever its state. */
export async function allJobs(queue: ImportQueue): Promise<Job<ImportJobData, void, string>[]> {
  const jobs = await queue.getJobs(["waiting", "delayed", "prioritized", "active", "completed", "failed"]);
  return jobs.filter((j): j is Job<ImportJobData, void, string> => j !== undefined);
}

/** What an enqueuer test file lists against: its own database and queue, and listing servers it starts. */
export interface EnqueueHarness {
  db: TestDatabase;
  queue: ImportQueue;
  /** A listing server serving `pages`, and an HTTP source on it; both closed by close(). */
  listing(pages: ListingPages): Promise<{ server: ListingServer; source: Source }>;
  close(): Promise<void>;
}

export async function openEnqueueHarness(name: string): Promise<EnqueueHarness> {
  const db = await createTestDatabase(name);
  const tq = createTestQueue(name);
  const connection = createRedis(REDIS_URL, { role: "producer" });
  const queue = createImportQueue(connection, tq.prefix);
  const servers: ListingServer[] = [];
  const sources: Source[] = [];
  return {
    db,
    queue,
    async listing(pages) {
      const server = await startListingServer(pages);
      const source = createHttpSource({ url: server.url, connections: 1, maxPageBytes: 4 * 1024 * 1024 });
      servers.push(server);
      sources.push(source);
      return { server, source };
    },
    async close() {
      await Promise.allSettled(sources.map((s) => s.close()));
      await Promise.allSettled(servers.map((s) => s.close()));
      await queue.close();
      await connection.quit();
      await tq.drop();
      await db.drop();
    },
  };
}
