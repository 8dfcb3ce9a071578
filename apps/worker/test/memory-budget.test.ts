import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkpointListing, createRun, recordListedPage } from "@porter/db";
import { createImportQueue, createRedis, importJobOptions, type ImportQueue } from "@porter/queue";
import {
  sampleDocument,
  createTestDatabase,
  createTestQueue,
  REDIS_URL,
  spawnPorter,
  waitFor,
  type PorterProcess,
  type TestDatabase,
  type TestQueue,
} from "@porter/testing";
import { pageFor } from "./legacy-server.js";

const MiB = 1024 * 1024;
const PAGES = 48;
const BUDGET = 64 * MiB;
/**
 * Peak RSS allowed: idle + K × budget. A page of two-byte text costs about 7× its bytes at
 * its peak (bytes, text, parsed document, pg's wire buffers, garbage not yet collected);
 * measured here: 5–7× the budget over idle. Without the budget it was 40×.
 */
const K = 8;

// One body of ~8 MB shared by every page; the emoji makes V8 hold the page and the body
// as two-byte strings, the costly case.
const WORDS = "lorem ipsum dolor sit amet ünïcödé 🚀 consectetur adipiscing elit ";
const BODY = Buffer.from(WORDS.repeat(Math.ceil((8 * MiB) / Buffer.byteLength(WORDS))));
const MARK = "@@BODY@@";

let db: TestDatabase;
let tq: TestQueue;
let server: Server;
let legacyUrl: string;
let producer: Redis;
let queue: ImportQueue;
let worker: PorterProcess | undefined;

beforeAll(async () => {
  db = await createTestDatabase("porter_worker_memory");
  tq = createTestQueue("porter_worker_memory");
  server = createServer((req, res) => {
    const id = decodeURIComponent((req.url ?? "").split("/").pop() ?? "");
    const [head, tail] = pageFor(sampleDocument(id, { body: MARK })).split(MARK) as [string, string];
    const parts = [Buffer.from(head), BODY, Buffer.from(tail)];
    res.writeHead(200, {
      "content-type": "text/html; charset=utf-8",
      "content-length": String(parts.reduce((n, p) => n + p.length, 0)),
    });
    for (const part of parts) res.write(part);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  legacyUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  producer = createRedis(REDIS_URL, { role: "producer" });
  queue = createImportQueue(producer, tq.prefix);
});

afterAll(async () => {
  await worker?.stop("SIGTERM", 10_000);
  await queue?.close();
  await producer?.quit();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await tq?.drop();
  await db?.drop();
});

/** VmRSS and VmHWM (peak) of a process, in bytes, from /proc. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kib("VmRSS"), peak: kib("VmHWM") };
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;

describe("a worker's memory under large pages", () => {
  it(`stays under idle RSS + ${K} × MAX_INFLIGHT_BYTES with ${PAGES} pages of 8 MB at concurrency 50`, async () => {
    worker = spawnPorter(["worker"], {
      DATABASE_URL: db.url,
      REDIS_URL,
      QUEUE_PREFIX: tq.prefix,
      LEGACY_URL: legacyUrl,
      WORKER_CONCURRENCY: "50",
      MAX_INFLIGHT_BYTES: String(BUDGET),
      JOB_TIMEOUT_MS: "60000",
      METRICS_PORT: "0",
      LOG_LEVEL: "info",
    });
    const pid = worker.child.pid as number;
    const started = worker;
    await waitFor("the worker to start", () => (started.stdout().includes('"msg":"worker started"') ? true : undefined), {
      timeoutMs: 20_000,
    });
    const idle = memoryOf(pid).rss;

    const run = await createRun(db.pool, { test: "worker-memory" });
    const ids = Array.from({ length: PAGES }, (_, i) => `big-${i}`);
    const { rows } = await recordListedPage(db.pool, run.id, ids);
    await queue.addBulk(
      rows.map((row) => ({
        name: "import",
        data: { runId: run.id, legacyId: row.legacyId },
        opts: importJobOptions(row.id, { attempts: 1 }),
      })),
    );
    await checkpointListing(db.pool, run.id, null);

    let sampled = idle;
    const sampler = setInterval(() => {
      sampled = Math.max(sampled, memoryOf(pid).rss);
    }, 50);
    try {
      await waitFor(
        "every page to be loaded",
        async () => {
          const { rows: counts } = await db.pool.query<{ done: number; failed: number }>(
            `SELECT count(*) FILTER (WHERE status = 'succeeded')::int AS done, count(*) FILTER (WHERE status = 'failed')::int AS failed
               FROM service_imports WHERE run_id = $1`,
            [run.id],
          );
          const c = counts[0] as { done: number; failed: number };
          if (c.failed > 0) throw new Error(`${c.failed} pages failed:\n${started.stdout()}`);
          return c.done === PAGES ? c : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 200 },
      );
    } finally {
      clearInterval(sampler);
    }
    // VmHWM is the kernel's own peak: it sees what falls between two samples.
    const peak = Math.max(sampled, memoryOf(pid).peak);
    const bound = idle + K * BUDGET;
    console.log(`worker RSS: idle ${mb(idle)}, peak ${mb(peak)} (sampled ${mb(sampled)}), bound ${mb(bound)}`);

    const { rows: docs } = await db.pool.query<{ n: number; bytes: number }>(
      "SELECT count(*)::int AS n, min(octet_length(body))::int AS bytes FROM documents WHERE run_id = $1",
      [run.id],
    );
    expect(docs[0]).toEqual({ n: PAGES, bytes: BODY.length });
    expect(peak, `peak RSS ${mb(peak)} over idle ${mb(idle)} + ${K} × ${mb(BUDGET)}`).toBeLessThan(bound);
  });
});
