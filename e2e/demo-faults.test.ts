import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCorpus } from "@porter/legacy-sim";
import { createTestDatabase, createTestQueue, REDIS_URL, runPorter, type TestDatabase, type TestQueue } from "@porter/testing";
import { expectedOutcome } from "./corpus-check.js";

// `porter demo` with the simulator's fault flags: a new user sees documents
// fail in the demo itself, and what to do about them.
const DOCS = 300;

describe("porter demo with faults", () => {
  let db: TestDatabase;
  let queue: TestQueue;

  beforeAll(async () => {
    db = await createTestDatabase("porter_e2e_demo_faults");
    queue = createTestQueue("porter_e2e_demo_faults");
  });

  afterAll(async () => {
    await queue?.drop();
    await db?.drop();
  });

  it("fails the faulty documents, exits 3, says where to look; porter failures latest lists them", async () => {
    const env = { DATABASE_URL: db.url, REDIS_URL, QUEUE_PREFIX: queue.prefix, BACKOFF_BASE_MS: "50", LOG_LEVEL: "warn" };
    const demo = await runPorter(["demo", "--docs", String(DOCS), "--workers", "1", "--not-found", "0.1", "--bad-json", "0.05"], env);
    expect(demo.code, demo.stderr).toBe(3);
    expect(demo.stderr).toContain(`(${DOCS} documents, faults: not-found 0.1, bad-json 0.05)`);
    expect(demo.stderr).toContain("what failed, and why: porter failures latest");

    // The demo's simulator is the default seed's corpus.
    const expected = expectedOutcome(createCorpus({ docs: DOCS, seed: 1, faults: { "not-found": 0.1, "bad-json": 0.05 } }));
    expect(expected.failed.size).toBeGreaterThan(20);
    expect(demo.stdout).toContain(`${expected.succeeded.size} succeeded, ${expected.failed.size} failed of ${DOCS} listed`);
    const failures = await runPorter(["failures", "latest", "--json"], env);
    expect(failures.code, failures.stderr).toBe(0);
    const listed = failures.stdout.trim().split("\n").map((l) => JSON.parse(l) as { legacyId: string; kind: string });
    expect(new Map(listed.map((f) => [f.legacyId, f.kind]))).toEqual(expected.failed);
  }, 120_000);
});
