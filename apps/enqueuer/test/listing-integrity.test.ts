import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { countByStatus, createRun, getRun, listFailures } from "@porter/db";
import type { ImportQueue } from "@porter/queue";
import type { Source } from "@porter/source";
import type { TestDatabase } from "@porter/testing";
import { enqueueRun, type EnqueueOptions } from "../src/enqueue-run.js";
import { allJobs, openEnqueueHarness, OPTIONS, type EnqueueHarness } from "./enqueue-fixtures.js";
import type { ListingPages, ListingServer } from "./listing-server.js";

let h: EnqueueHarness;
let db: TestDatabase;
let queue: ImportQueue;

beforeAll(async () => {
  h = await openEnqueueHarness("porter_listing_integrity");
  ({ db, queue } = h);
});

afterAll(async () => {
  await h?.close();
});

/** A logger whose JSON lines the test can read. */
function capturingLogger(): { logger: pino.Logger; lines: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString("utf8").split("\n").filter((l) => l !== ""));
      done();
    },
  });
  return { logger: pino({ level: "info" }, stream), lines: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

function listingSource(pages: ListingPages): Promise<{ server: ListingServer; source: Source }> {
  return h.listing(pages);
}

/** Options that give up after 20 s, so a listing that never ends fails the test instead of hanging it. */
function bounded(extra: Partial<EnqueueOptions> = {}): EnqueueOptions {
  return { ...OPTIONS, signal: AbortSignal.timeout(20_000), ...extra };
}

/** A string of `length` UTF-16 units drawn from ASCII, Latin-1, CJK and emoji, never NUL nor a lone surrogate. */
function randomId(length: number, seed: number): string {
  const alphabet = ["a", "Z", "7", " ", "/", "%", "é", "日", "😀", "-", "."];
  let out = "";
  let x = seed;
  while (out.length < length) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    out += alphabet[x % alphabet.length];
  }
  return out.slice(0, length).replace(/[\uD800-\uDBFF]$/, "a");
}

describe("every listed id gets a ledger row", () => {
  it("ids Postgres text cannot hold fail as invalid_id, escaped, counted and listed; the rest are enqueued", async () => {
    const nul = "nul\u0000id";
    const lone = "lone\uD800surrogate";
    const trailing = "trailing\uDC00";
    const { source } = await listingSource(
      new Map([
        ["", { ids: ["ok-1", nul, lone], nextCursor: "p2" }],
        ["p2", { ids: [trailing, "ok-2", nul, ""], nextCursor: null }],
      ]),
    );
    const { logger, lines } = capturingLogger();
    const run = await createRun(db.pool, {});
    const done = await enqueueRun({ pool: db.pool, queue, source, logger }, run.id, bounded());

    expect(done.status).toBe("running");
    // every distinct id is listed, the bad ones too (nul counted once)
    expect(done.listed).toBe(6);
    const counts = await countByStatus(db.pool, run.id);
    expect(counts).toMatchObject({ listed: 6, pending: 2, failed: 4 });

    const failures = await listFailures(db.pool, run.id, { limit: 100 });
    expect(failures).toHaveLength(4);
    for (const f of failures) {
      expect(f.kind).toBe("invalid_id");
      expect(f.stage).toBe("list");
      expect(f.attempts).toBe(0);
    }
    const byShown = new Map(failures.map((f) => [f.legacyId, f]));
    // shown escaped: the stored text is the id as a JSON string literal
    expect([...byShown.keys()].sort()).toEqual([JSON.stringify(""), JSON.stringify(lone), JSON.stringify(nul), JSON.stringify(trailing)].sort());
    expect(byShown.get(JSON.stringify(nul))?.message).toMatch(/U\+0000 at index 3/);
    expect(byShown.get(JSON.stringify(lone))?.message).toMatch(/lone surrogate at index 4/);
    expect(byShown.get(JSON.stringify(""))?.message).toMatch(/empty/);

    // only the good ids have jobs
    const jobs = await allJobs(queue);
    const mine = jobs.filter((j) => j.data.runId === run.id);
    expect(mine.map((j) => j.data.legacyId).sort()).toEqual(["ok-1", "ok-2"]);
    // no line says an id was skipped
    expect(lines().some((l) => /skipped/.test(String(l.msg)))).toBe(false);

    // a second listing of the same pages adds nothing twice
    await db.pool.query("UPDATE import_runs SET status = 'listing', cursor = NULL WHERE id = $1", [run.id]);
    const again = await enqueueRun({ pool: db.pool, queue, source, logger }, run.id, bounded());
    expect(again.listed).toBe(6);
    expect(await countByStatus(db.pool, run.id)).toMatchObject({ listed: 6, pending: 2, failed: 4 });
  });

  it("ids of 10,240 and 65,536 characters are listed and enqueued beside ordinary ones", async () => {
    const long = randomId(10_240, 1);
    const longer = randomId(65_536, 2);
    const { source } = await listingSource(new Map([["", { ids: [long, "short", longer, long], nextCursor: null }]]));
    const run = await createRun(db.pool, {});
    const done = await enqueueRun({ pool: db.pool, queue, source, logger: capturingLogger().logger }, run.id, bounded());
    expect(done).toMatchObject({ status: "running", listed: 3 });
    const { rows } = await db.pool.query<{ legacy_id: string }>("SELECT legacy_id FROM service_imports WHERE run_id = $1", [run.id]);
    expect(rows.map((r) => r.legacy_id).sort()).toEqual([long, longer, "short"].sort());
    const jobs = (await allJobs(queue)).filter((j) => j.data.runId === run.id);
    expect(jobs.map((j) => j.data.legacyId).sort()).toEqual([long, longer, "short"].sort());
  });
});

describe("a listing that does not end stops with a clear error on the run", () => {
  it("a cursor seen before in the run (A -> B -> A) stops the listing, keeping what was listed", async () => {
    const { server, source } = await listingSource(
      new Map([
        ["", { ids: ["a", "b"], nextCursor: "A" }],
        ["A", { ids: ["c"], nextCursor: "B" }],
        ["B", { ids: ["d"], nextCursor: "A" }],
      ]),
    );
    const { logger, lines } = capturingLogger();
    const run = await createRun(db.pool, {});
    const done = await enqueueRun({ pool: db.pool, queue, source, logger }, run.id, bounded());

    expect(done.listingError).toMatch(/cursor "A" .*again/);
    // the listing is over: what was listed is migrated, nothing more is read
    expect(done.status).toBe("running");
    expect(done.listed).toBe(4);
    expect(server.requests.map(([c]) => c)).toEqual([null, "A", "B"]);
    expect((await getRun(db.pool, run.id))?.listingError).toBe(done.listingError);
    const jobs = (await allJobs(queue)).filter((j) => j.data.runId === run.id);
    expect(jobs).toHaveLength(4);
    const errors = lines().filter((l) => l.level === 50);
    expect(errors).toHaveLength(1);
    expect(String(errors[0]?.msg)).toMatch(/listing stopped/);
  });

  it("a next cursor no checkpoint can hold (NUL) stops the listing instead of crashing it", async () => {
    const { source } = await listingSource(new Map([["", { ids: ["n1", "n2"], nextCursor: "bad\u0000cursor" }]]));
    const run = await createRun(db.pool, {});
    const done = await enqueueRun({ pool: db.pool, queue, source, logger: capturingLogger().logger }, run.id, bounded());
    expect(done.listingError).toMatch(/NUL or a lone surrogate/);
    expect(done).toMatchObject({ status: "running", listed: 2 });
  });

  it("pages that bring no new id for LIST_IDLE_TIMEOUT_MS stop the listing", async () => {
    // every cursor is new, every page empty: no loop, and no progress either
    const { server, source } = await listingSource((cursor) => {
      const n = cursor === "" ? 0 : Number(cursor.slice(1));
      return n === 0 ? { ids: ["only"], nextCursor: "c1" } : { ids: [], nextCursor: `c${n + 1}` };
    });
    const { logger } = capturingLogger();
    const run = await createRun(db.pool, {});
    const done = await enqueueRun({ pool: db.pool, queue, source, logger }, run.id, bounded({ listIdleTimeoutMs: 500 }));

    expect(done.listingError).toMatch(/no new document/);
    expect(done).toMatchObject({ status: "running", listed: 1 });
    expect(server.requests.length).toBeGreaterThan(2);
  });
});

describe("listing entries with an odd updatedAt", () => {
  it("are migrated, and one warning names them and what was odd", async () => {
    const { source } = await listingSource(
      new Map([
        [
          "",
          {
            ids: ["good", "words", "number", "null", "absent", "no-day"],
            updatedAt: ["2024-01-01T00:00:00Z", "yesterday", 1700000000, null, undefined, "2024-02-30T00:00:00Z"],
            nextCursor: null,
          },
        ],
      ]),
    );
    const { logger, lines } = capturingLogger();
    const run = await createRun(db.pool, {});
    const done = await enqueueRun({ pool: db.pool, queue, source, logger }, run.id, bounded());
    expect(done).toMatchObject({ status: "running", listed: 6 });
    expect(done.listingError).toBeNull();

    const warnings = lines().filter((l) => l.level === 40 && /updatedAt/.test(String(l.msg)));
    expect(warnings).toHaveLength(1);
    const odd = warnings[0]?.documents as { id: string; updatedAt: unknown }[];
    expect(odd.map((d) => d.id).sort()).toEqual(["absent", "no-day", "null", "number", "words"]);
    expect(odd.find((d) => d.id === "number")?.updatedAt).toBe(1700000000);
    const jobs = (await allJobs(queue)).filter((j) => j.data.runId === run.id);
    expect(jobs).toHaveLength(6);
  });
});
