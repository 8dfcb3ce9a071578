import { createServer } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestDatabase,
  createTestQueue,
  documentPage,
  REDIS_URL,
  sampleDocument,
  serveLocally,
  spawnPorter,
  waitFor,
  type LocalServer,
  type PorterProcess,
  type TestDatabase,
  type TestQueue,
} from "@porter/testing";
import { parseSummary, waitForRunId } from "./run-check.js";

// A document whose attempt takes its worker down every time (here: the page
// never answers and the worker is killed meanwhile, as an out-of-memory kill
// would) stalls its job; past MAX_STALLED_COUNT BullMQ fails the job without
// an attempt. The document must then fail, with a reason, once: not go back
// to pending for the reconciler to revive and take the next worker down.
const CRASHER = "doc-crasher";
const FINE = "doc-fine";

describe("a document that takes its worker down every time", () => {
  let db: TestDatabase;
  let queue: TestQueue;
  let legacy: LocalServer;
  let env: Record<string, string>;
  const requests = new Map<string, number>();
  const started: PorterProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase("porter_crashing_document");
    queue = createTestQueue("porter_crashing_document");
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://legacy");
      if (url.pathname === "/documents") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ documents: [CRASHER, FINE].map((id) => ({ id, updatedAt: "2026-01-01T00:00:00.000Z" })), nextCursor: null }));
        return;
      }
      const id = decodeURIComponent(url.pathname.replace(/^\/documents\//, ""));
      requests.set(id, (requests.get(id) ?? 0) + 1);
      if (id === CRASHER) return; // no answer: the worker holds the job until it is killed
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(documentPage(sampleDocument(id)));
    });
    legacy = await serveLocally(server);
    env = {
      DATABASE_URL: db.url,
      REDIS_URL,
      QUEUE_PREFIX: queue.prefix,
      LEGACY_URL: legacy.url,
      JOB_DOCUMENTS: "1",
      WORKER_CONCURRENCY: "2",
      // The hung page holds its job for as long as the test needs.
      JOB_TIMEOUT_MS: "600000",
      FETCH_IDLE_TIMEOUT_MS: "600000",
      STALLED_INTERVAL_MS: "1000",
      RECONCILE_INTERVAL_MS: "500",
      RECONCILE_GRACE_MS: "2000",
      SHUTDOWN_GRACE_MS: "1000",
    };
  });

  async function statusOf(runId: string, legacyId: string): Promise<string | undefined> {
    const { rows } = await db.pool.query<{ status: string }>("SELECT status FROM service_imports WHERE run_id = $1 AND legacy_id = $2", [runId, legacyId]);
    return rows[0]?.status;
  }

  afterAll(async () => {
    await Promise.allSettled(started.map((p) => p.stop("SIGKILL")));
    await legacy?.close();
    await queue?.drop();
    await db?.drop();
  });

  it("fails it with its reason once its job stalled past the limit, and the run completes", async () => {
    const run = spawnPorter(["run", "--follow", "--json"], env);
    started.push(run);
    const runId = await waitForRunId(run);
    // Three workers in turn start the document and are killed while they hold it.
    for (let crash = 1; crash <= 3; crash++) {
      const worker = spawnPorter(["worker"], env);
      started.push(worker);
      await waitFor(`attempt ${crash} at ${CRASHER}`, () => (requests.get(CRASHER) ?? 0) >= crash, { timeoutMs: 60_000 });
      // The other document is loaded before the first kill, so that only the crasher is taken again.
      if (crash === 1) await waitFor(`${FINE} to load`, () => statusOf(runId, FINE).then((s) => s === "succeeded"), { timeoutMs: 60_000 });
      await worker.stop("SIGKILL");
    }
    // The fourth finds the job stalled a third time: BullMQ fails it without an attempt.
    started.push(spawnPorter(["worker"], env));

    const row = await waitFor(
      `${CRASHER} to fail`,
      async () => {
        const { rows } = await db.pool.query<{ status: string; error_kind: string; last_error: string; attempts: number }>(
          "SELECT status, error_kind, last_error, attempts FROM service_imports WHERE run_id = $1 AND legacy_id = $2",
          [runId, CRASHER],
        );
        return rows[0]?.status === "failed" ? rows[0] : undefined;
      },
      { timeoutMs: 45_000 },
    );
    expect(row).toMatchObject({ error_kind: "unknown", attempts: 3 });
    expect(row.last_error).toMatch(/stalled/);
    expect(await run.exited, run.stderr()).toBe(3); // finished, with a failed document
    expect(parseSummary(run.stdout())).toMatchObject({ runId, status: "completed", listed: 2, succeeded: 1, failed: 1 });
    // Never revived: three requests, one per worker it took down.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(requests.get(CRASHER)).toBe(3);
    expect(requests.get(FINE)).toBe(1);
  }, 180_000);
});
