import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCorpus, type FaultName } from "@porter/legacy-sim";
import {
  createTestDatabase,
  createTestQueue,
  REDIS_URL,
  runPorter,
  spawnPorter,
  startLegacySimProcess,
  type PorterProcess,
  type TestDatabase,
  type TestQueue,
} from "@porter/testing";
import { expectedOutcome } from "./corpus-check.js";
import { logLines, waitForLog } from "./worker-http.js";

// Logs of real processes at LOG_LEVEL=debug: a legacy service that requires
// a bearer token, a DATABASE_URL with a password (the machine's Postgres
// trusts local connections, so the password is sent and ignored). Neither
// secret appears in anything any process prints, failures are logged with
// their run, ledger and legacy ids, and a successful document logs nothing.

const DOCS = 150;
const SEED = 9;
const FAULTS: Partial<Record<FaultName, number>> = {
  "not-found": 0.04,
  "bad-json": 0.03,
  "server-error": 0.05,
  "rate-limit": 0.03,
};
const TOKEN = `s3cr3t-${randomBytes(12).toString("hex")}`;
const WRONG_TOKEN = `s3cr3t-${randomBytes(12).toString("hex")}`;
const PASSWORD = `pw-${randomBytes(12).toString("hex")}`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("logs", () => {
  let db: TestDatabase;
  let queue: TestQueue;
  /** The refused run's queue, apart from the worker's so no worker takes its jobs; dropped too. */
  let refusedQueue: TestQueue;
  let sim: PorterProcess;
  let env: Record<string, string>;
  const processes: PorterProcess[] = [];
  /** Everything every process printed, stdout and stderr. */
  const printed: string[] = [];
  const expected = expectedOutcome(createCorpus({ docs: DOCS, seed: SEED, faults: FAULTS }));

  const porter = async (args: string[], extra: Record<string, string> = {}) => {
    const result = await runPorter(args, { ...env, ...extra });
    printed.push(result.stdout, result.stderr);
    return result;
  };

  beforeAll(async () => {
    db = await createTestDatabase("porter_logs");
    queue = createTestQueue("porter_logs");
    refusedQueue = createTestQueue("porter_logs_refused");
    const args = ["--docs", String(DOCS), "--seed", String(SEED), "--token", TOKEN];
    for (const [name, rate] of Object.entries(FAULTS)) args.push(`--${name}`, String(rate));
    const started = await startLegacySimProcess(args);
    sim = started.process;
    processes.push(sim);
    const databaseUrl = new URL(db.url);
    databaseUrl.password = PASSWORD;
    env = {
      DATABASE_URL: databaseUrl.toString(),
      REDIS_URL,
      QUEUE_PREFIX: queue.prefix,
      LEGACY_URL: started.url,
      LEGACY_TOKEN: TOKEN,
      WORKER_CONCURRENCY: "8",
      JOB_TIMEOUT_MS: "5000",
      BACKOFF_BASE_MS: "50",
      METRICS_PORT: "0",
      LOG_LEVEL: "debug",
    };
  });

  afterAll(async () => {
    await Promise.allSettled(processes.map((p) => p.stop("SIGTERM", 10_000)));
    await queue?.drop();
    await refusedQueue?.drop();
    await db?.drop();
  });

  it("never print the token or the database password, at debug level, on success or failure", async () => {
    expect(env.DATABASE_URL).toContain(`:${PASSWORD}@`);
    const migrate = await porter(["db", "migrate"]);
    expect(migrate.code, migrate.stderr).toBe(0);
    expect(migrate.stdout).toContain(":***@");

    const worker = spawnPorter(["worker"], env);
    processes.push(worker);
    await waitForLog(worker, "worker started");
    const run = await porter(["run", "--follow", "--json"]);
    expect(run.code, run.stderr).toBe(3);
    const summary = JSON.parse(run.stdout.trim()) as { runId: string; succeeded: number; failed: number };
    expect([summary.succeeded, summary.failed]).toEqual([expected.succeeded.size, expected.failed.size]);
    const status = await porter(["status", summary.runId]);
    expect(status.code, status.stderr).toBe(0);

    // Failing paths: the legacy service refuses a wrong token; a DATABASE_URL that does not parse.
    const refused = await porter(["run", "--limit", "5"], { LEGACY_TOKEN: WRONG_TOKEN, QUEUE_PREFIX: refusedQueue.prefix });
    // Found before the run starts: exit 4, the refusal and what to check.
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/refused the listing \(401\): check LEGACY_TOKEN/);
    const badUrl = await porter(["run"], { DATABASE_URL: `postgres://postgres:${PASSWORD}@127.0.0.1:99999/x` });
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain("DATABASE_URL: expected a URL");
    expect(badUrl.stderr).toContain(":***@");

    expect(await worker.stop("SIGTERM")).toBe(0);
    printed.push(worker.stdout(), worker.stderr(), sim.stdout(), sim.stderr());
    const all = printed.join("\n");
    expect(all.length).toBeGreaterThan(1_000);
    for (const secret of [TOKEN, WRONG_TOKEN, PASSWORD]) expect(all.includes(secret), `a process printed ${secret}`).toBe(false);

    // Nor did any reach the ledger: error messages, stack traces, run options.
    const { rows } = await db.pool.query<{ n: number }>(
      `SELECT ((SELECT count(*) FROM service_imports WHERE concat(last_error, stacktrace) LIKE ANY($1))
             + (SELECT count(*) FROM import_runs WHERE options::text LIKE ANY($1)))::int AS n`,
      [[TOKEN, PASSWORD].map((s) => `%${s}%`)],
    );
    expect(rows[0]?.n).toBe(0);

    // Every worker line about a document names its run, ledger row and legacy id.
    const lines = logLines(worker.stdout());
    expect(lines.length).toBe(worker.stdout().trim().split("\n").length); // all of it JSON
    const aboutDocuments = lines.filter((l) => "legacyId" in l || "ledgerId" in l);
    for (const line of aboutDocuments) {
      expect(line).toMatchObject({ runId: summary.runId, ledgerId: expect.stringMatching(UUID), legacyId: expect.any(String) });
    }
    // Each failed document once, at warn, with its kind; retries at debug.
    const failed = aboutDocuments.filter((l) => typeof l.msg === "string" && l.msg.startsWith("document failed"));
    expect(failed.every((l) => l.level === 40)).toBe(true);
    expect(new Map(failed.map((l) => [l.legacyId as string, l.kind as string]))).toEqual(expected.failed);
    expect(failed).toHaveLength(expected.failed.size);
    const retries = aboutDocuments.filter((l) => typeof l.msg === "string" && l.msg.startsWith("attempt failed, will retry"));
    expect(retries.length).toBeGreaterThan(0);
    expect(retries.every((l) => l.level === 20)).toBe(true);
    // A successful document logs nothing at info or above.
    const loud = lines.filter((l) => (l.level as number) >= 30 && expected.succeeded.has(l.legacyId as string));
    expect(loud).toEqual([]);
    const info = lines.filter((l) => l.level === 30).map((l) => l.msg);
    expect(info.length, JSON.stringify(info)).toBeLessThan(10);
  }, 180_000);
});
