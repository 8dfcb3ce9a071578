import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestDatabase,
  createTestQueue,
  documentPage,
  runPorter,
  sampleDocument,
  serveLocally,
  spawnPorter,
  type LocalServer,
  type PorterProcess,
  type TestDatabase,
  type TestQueue,
} from "@porter/testing";
import { e2eEnv, parseSummary } from "./run-check.js";

/*
 * Every id a listing gives ends in the ledger, end to end with real
 * processes: ids longer than a btree entry are migrated, ids Postgres text
 * cannot hold fail as invalid_id and are counted, listed and verified, and a
 * listing that comes back to an earlier cursor stops instead of looping.
 */

const GOOD = ["plain", "with space/and slash", "日本語 🚀", "x".repeat(10_240), `${"é😀".repeat(21_846)}-64k`];
// The last one makes `porter failures --json` print over 128 KB: all of it must reach the pipe.
const BAD = ["nul\u0000inside", "lone\uD83Dhigh", "", `${"y".repeat(70_000)}\u0000`];

/** With a short title and body (the ids are up to 64 KB), updated when the listing says. */
function documentOf(id: string): unknown {
  return sampleDocument(id, { title: `Title of ${[...id].slice(0, 20).join("")}`, body: "<p>body</p>", updatedAt: "2021-01-01T00:00:00Z" });
}

/** A legacy service whose listing is `pages` (by cursor, "" first) and which serves a page for every GOOD id. */
async function startLegacy(pages: Map<string, { ids: string[]; nextCursor: string | null }>): Promise<LocalServer> {
  // Node's default 16 KB header limit would refuse the 64 KB id's URL; a real service must accept it too.
  const server: Server = createServer({ maxHeaderSize: 1024 * 1024 }, (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/documents") {
      const page = pages.get(url.searchParams.get("cursor") ?? "");
      if (!page) return void res.writeHead(400).end("unknown cursor");
      res.writeHead(200, { "content-type": "application/json" });
      return void res.end(
        JSON.stringify({ documents: page.ids.map((id) => ({ id, updatedAt: "2021-01-01T00:00:00Z" })), nextCursor: page.nextCursor }),
      );
    }
    const id = decodeURIComponent(url.pathname.slice("/documents/".length));
    if (!GOOD.includes(id)) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(documentPage(documentOf(id)));
  });
  return serveLocally(server);
}

let db: TestDatabase;
let queue: TestQueue;
const legacies: LocalServer[] = [];
let worker: PorterProcess | undefined;

beforeAll(async () => {
  db = await createTestDatabase("porter_e2e_listing_integrity");
  queue = createTestQueue("porter_e2e_listing_integrity");
});

afterAll(async () => {
  await worker?.stop("SIGTERM", 10_000);
  await Promise.all(legacies.map((l) => l.close()));
  await queue?.drop();
  await db?.drop();
});

describe("every listed id is accounted for", () => {
  let env: Record<string, string>;
  let runId: string;

  it("migrates the long ids and fails the ones Postgres cannot hold as invalid_id", async () => {
    const legacy = await startLegacy(
      new Map([
        ["", { ids: [GOOD[0] as string, BAD[0] as string, GOOD[3] as string, BAD[3] as string], nextCursor: "p2" }],
        ["p2", { ids: [BAD[1] as string, GOOD[1] as string, GOOD[4] as string, BAD[2] as string, GOOD[2] as string], nextCursor: null }],
      ]),
    );
    legacies.push(legacy);
    env = e2eEnv(db, queue, legacy.url);
    expect((await runPorter(["db", "migrate"], env)).code).toBe(0);
    worker = spawnPorter(["worker"], env);

    const run = await runPorter(["run", "--follow", "--json"], env);
    // exit 3: the run finished with failed documents
    expect(run.code, run.stderr).toBe(3);
    const summary = parseSummary(run.stdout);
    runId = summary.runId;
    expect(summary).toMatchObject({ status: "completed", listed: GOOD.length + BAD.length, succeeded: GOOD.length, failed: BAD.length });

    const { rows } = await db.pool.query<{ legacy_id: string }>("SELECT legacy_id FROM documents WHERE run_id = $1", [runId]);
    expect(rows.map((r) => r.legacy_id).sort()).toEqual([...GOOD].sort());
  });

  it("porter status and porter failures show the invalid ids, escaped", async () => {
    const status = await runPorter(["status", runId, "--json"], env);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ failuresByKind: { invalid_id: BAD.length }, counts: { failed: BAD.length } });

    const failures = await runPorter(["failures", runId, "--json"], env);
    const rows = failures.stdout.trim().split("\n").map((l) => JSON.parse(l) as { legacyId: string; kind: string; message: string });
    expect(rows.map((r) => r.legacyId).sort()).toEqual(BAD.map((id) => JSON.stringify(id)).sort());
    expect(rows.every((r) => r.kind === "invalid_id" && /cannot be migrated/.test(r.message))).toBe(true);

    const text = await runPorter(["failures", runId], env);
    expect(text.stdout).toContain('"nul\\u0000inside"  invalid_id  stage=list');
  });

  it("porter verify reports them as failed, and nothing missing", async () => {
    const verify = await runPorter(["verify", runId, "--json"], env);
    expect(verify.code).toBe(3);
    const report = JSON.parse(verify.stdout) as { agree: boolean; listed: number; missing: { count: number }; failed: { count: number; ids: string[] } };
    expect(report).toMatchObject({ agree: false, listed: GOOD.length + BAD.length, missing: { count: 0 }, failed: { count: BAD.length } });
    expect(report.failed.ids.sort()).toEqual(BAD.map((id) => JSON.stringify(id)).sort());
  });
});

describe("a listing whose cursor comes back", () => {
  it("stops listing with the reason on the run, migrates what it listed and exits 3", async () => {
    const legacy = await startLegacy(
      new Map([
        ["", { ids: ["plain"], nextCursor: "A" }],
        ["A", { ids: ["日本語 🚀"], nextCursor: "B" }],
        ["B", { ids: ["with space/and slash"], nextCursor: "A" }],
      ]),
    );
    legacies.push(legacy);
    const env = e2eEnv(db, queue, legacy.url);
    const run = await runPorter(["run", "--follow"], env);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stdout).toMatch(/completed: 3 succeeded, 0 failed of 3 listed/);
    expect(run.stdout).toMatch(/the listing stopped before its end.*cursor "A"/);
    expect(run.stderr).toMatch(/listing stopped/);

    const runId = /run ([0-9a-f-]{36}) completed/.exec(run.stdout)?.[1] as string;
    const status = JSON.parse((await runPorter(["status", runId, "--json"], env)).stdout) as { listingError: string };
    expect(status.listingError).toMatch(/cursor "A"/);
  });
});
