import { createHash, randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, POSTGRES_URL, uniqueName, type TestDatabase } from "@porter/testing";
import {
  archiveHoldsPages,
  archivePages,
  ARCHIVE_STATEMENT_BYTES,
  archiveStats,
  latestPage,
  legacyKey,
  migrateArchiveDatabase,
  migrateDatabase,
  readLatestPages,
  readPageBodies,
  recordFailedPage,
  type ArchivedPage,
  type FailureRecord,
} from "../src/index.js";
import { ledgerId, ledgerRow, seedRun } from "./fixtures.js";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase("porter_archive_pages");
});

afterAll(async () => {
  await db?.drop();
});

// Every test starts from an empty archive: stats and the keyset read count the whole table.
beforeEach(async () => {
  await db.pool.query("TRUNCATE porter_archive.pages");
});

const T1 = "2024-05-01T10:00:00.001Z";
const T2 = "2024-05-01T10:00:00.002Z";
const T3 = "2024-05-01T10:00:00.003Z";

/** A page of `legacyId` with `body`, fetched by `runId` at `fetchedAt`. */
function page(legacyId: string, body: string | Buffer, fetch: { runId: string; fetchedAt: string; listedUpdatedAt?: string | null }): ArchivedPage {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  return {
    legacyId,
    body: bytes,
    sha256: createHash("sha256").update(bytes).digest(),
    contentType: "text/html; charset=utf-8",
    listedUpdatedAt: fetch.listedUpdatedAt ?? null,
    runId: fetch.runId,
    fetchedAt: fetch.fetchedAt,
  };
}

interface PageRow {
  body: string;
  legacy_id: string;
  raw_bytes: number;
  first_run_id: string;
  run_id: string;
  first_fetched_at: number;
  fetched_at: number;
  listed_updated_at: string | null;
}

/** The archive's rows of a document, oldest first fetch first; times as epoch ms. */
async function rowsOf(legacyId: string, pool: pg.Pool = db.pool): Promise<PageRow[]> {
  const { rows } = await pool.query<PageRow>(
    `SELECT convert_from(body, 'UTF8') AS body, legacy_id, raw_bytes, first_run_id, run_id,
            (extract(epoch FROM first_fetched_at) * 1000)::float8 AS first_fetched_at,
            (extract(epoch FROM fetched_at) * 1000)::float8 AS fetched_at, listed_updated_at
       FROM porter_archive.pages WHERE legacy_key = $1 ORDER BY first_fetched_at, fetched_at`,
    [legacyKey(legacyId)],
  );
  return rows;
}

describe("archivePages", () => {
  it("the same bytes fetched twice make one row: the newer fetch's run, time and updatedAt; the first ones stay", async () => {
    const [run1, run2] = [randomUUID(), randomUUID()];
    await archivePages(db.pool, [page("doc/ü", "<p>same</p>", { runId: run1, fetchedAt: T1, listedUpdatedAt: "u1" })]);
    await archivePages(db.pool, [page("doc/ü", "<p>same</p>", { runId: run2, fetchedAt: T2, listedUpdatedAt: "u2" })]);

    expect(await rowsOf("doc/ü")).toEqual([
      {
        body: "<p>same</p>",
        legacy_id: "doc/ü",
        raw_bytes: 11,
        first_run_id: run1,
        run_id: run2,
        first_fetched_at: Date.parse(T1),
        fetched_at: Date.parse(T2),
        listed_updated_at: "u2",
      },
    ]);
  });

  it("A → B → A keeps two rows, and the latest page is A's bytes from the third fetch", async () => {
    const [run1, run2, run3] = [randomUUID(), randomUUID(), randomUUID()];
    await archivePages(db.pool, [page("aba", "content A", { runId: run1, fetchedAt: T1 })]);
    await archivePages(db.pool, [page("aba", "content B", { runId: run2, fetchedAt: T2 })]);
    await archivePages(db.pool, [page("aba", "content A", { runId: run3, fetchedAt: T3 })]);

    const rows = await rowsOf("aba");
    expect(rows.map((r) => [r.body, r.first_run_id, r.run_id, r.fetched_at])).toEqual([
      ["content A", run1, run3, Date.parse(T3)],
      ["content B", run2, run2, Date.parse(T2)],
    ]);
    const latest = await latestPage(db.pool, "aba");
    expect(latest?.body.toString("utf8")).toBe("content A");
    expect(latest?.runId).toBe(run3);
    expect(Date.parse(latest?.fetchedAt ?? "")).toBe(Date.parse(T3));
    expect(latest?.legacyKey.equals(legacyKey("aba"))).toBe(true);
    expect(latest?.sha256.equals(createHash("sha256").update("content A").digest())).toBe(true);
    expect(latest?.contentType).toBe("text/html; charset=utf-8");
  });

  it("an older fetch written after a newer one moves nothing back", async () => {
    const [older, newer] = [randomUUID(), randomUUID()];
    // Same bytes: the row keeps the newer fetch.
    await archivePages(db.pool, [page("late", "same", { runId: newer, fetchedAt: T2, listedUpdatedAt: "new" })]);
    await archivePages(db.pool, [page("late", "same", { runId: older, fetchedAt: T1, listedUpdatedAt: "old" })]);
    expect(await rowsOf("late")).toMatchObject([{ run_id: newer, fetched_at: Date.parse(T2), listed_updated_at: "new" }]);

    // Other bytes: kept, but the newer page stays the latest.
    await archivePages(db.pool, [page("late", "older content", { runId: older, fetchedAt: T1 })]);
    expect((await rowsOf("late")).map((r) => r.body).sort()).toEqual(["older content", "same"]);
    expect((await latestPage(db.pool, "late"))?.body.toString("utf8")).toBe("same");
  });

  it("in one call: a document fetched twice with the same bytes is one row of the newer fetch, other documents their own", async () => {
    const [run1, run2] = [randomUUID(), randomUUID()];
    await archivePages(db.pool, [
      page("twice", "x", { runId: run1, fetchedAt: T1 }),
      page("twice", "x", { runId: run2, fetchedAt: T2 }),
      page("other", "y", { runId: run1, fetchedAt: T1 }),
    ]);
    expect(await rowsOf("twice")).toMatchObject([{ body: "x", run_id: run2, fetched_at: Date.parse(T2) }]);
    expect(await rowsOf("other")).toMatchObject([{ body: "y", run_id: run1 }]);
  });

  it("each page gets its own bytes back, byte for byte: empty, binary, multi-byte, and pages past one statement's bytes", async () => {
    const run = randomUUID();
    const big = (fill: number) => Buffer.alloc(ARCHIVE_STATEMENT_BYTES / 2 + 1, fill);
    const bodies: Record<string, Buffer> = {
      empty: Buffer.alloc(0),
      binary: Buffer.from([0, 255, 0x5c, 0x78, 0, 1]),
      utf8: Buffer.from("é 😀 \u0000", "utf8"),
      big1: big(1),
      big2: big(2),
      big3: big(3),
    };
    // Three bodies of more than half the statement's bytes: three statements, the small ones in the first.
    await archivePages(
      db.pool,
      Object.entries(bodies).map(([id, body]) => page(id, body, { runId: run, fetchedAt: T1 })),
    );
    for (const [id, body] of Object.entries(bodies)) {
      const stored = await latestPage(db.pool, id);
      expect(stored?.body.equals(body), id).toBe(true);
      expect(stored?.sha256.equals(createHash("sha256").update(body).digest()), id).toBe(true);
    }
    const { rows } = await db.pool.query<{ legacy_id: string; raw_bytes: number }>(
      "SELECT legacy_id, raw_bytes FROM porter_archive.pages ORDER BY legacy_id",
    );
    expect(rows).toEqual(
      Object.entries(bodies)
        .map(([id, body]) => ({ legacy_id: id, raw_bytes: body.length }))
        .sort((a, b) => (a.legacy_id < b.legacy_id ? -1 : 1)),
    );
  });

  it("latestPage is undefined for a document the archive does not hold", async () => {
    expect(await latestPage(db.pool, "never-archived")).toBeUndefined();
  });
});

describe("readLatestPages", () => {
  it("pages through in key order with a small limit, each document's latest page exactly once", async () => {
    const run = randomUUID();
    const ids = ["d1", "d2", "d3", "d4", "d5"];
    // Each document has an older page, and a newer one for the odd ones.
    await archivePages(
      db.pool,
      ids.map((id) => page(id, `old ${id}`, { runId: run, fetchedAt: T1 })),
    );
    await archivePages(db.pool, [page("d1", "new d1", { runId: run, fetchedAt: T2 }), page("d3", "new d3", { runId: run, fetchedAt: T3 }), page("d5", "new d5", { runId: run, fetchedAt: T2 })]);

    const seen: { key: Buffer; id: string; body: string }[] = [];
    const sizes: number[] = [];
    let after: Buffer | null = null;
    for (let round = 0; round < 10; round++) {
      const rows = await readLatestPages(db.pool, after, 2);
      const bodies = await readPageBodies(db.pool, rows);
      sizes.push(rows.length);
      seen.push(...rows.map((r, k) => ({ key: r.legacyKey, id: r.legacyId, body: (bodies[k] as Buffer).toString("utf8") })));
      for (const [k, r] of rows.entries()) expect(r.rawBytes).toBe(bodies[k]?.length);
      const last = rows.at(-1);
      if (rows.length < 2 || last === undefined) break;
      after = last.legacyKey;
    }

    expect(sizes).toEqual([2, 2, 1]);
    const inKeyOrder = [...ids].sort((a, b) => Buffer.compare(legacyKey(a), legacyKey(b)));
    expect(seen.map((s) => s.id)).toEqual(inKeyOrder);
    for (const s of seen) expect(s.key.equals(legacyKey(s.id))).toBe(true);
    expect(Object.fromEntries(seen.map((s) => [s.id, s.body]))).toEqual({
      d1: "new d1",
      d2: "old d2",
      d3: "new d3",
      d4: "old d4",
      d5: "new d5",
    });
  });

  it("after the last key there is nothing left", async () => {
    await archivePages(db.pool, [page("only", "x", { runId: randomUUID(), fetchedAt: T1 })]);
    expect(await readLatestPages(db.pool, legacyKey("only"), 10)).toEqual([]);
    expect((await readLatestPages(db.pool, null, 10)).map((r) => r.legacyId)).toEqual(["only"]);
  });
});

describe("archiveStats", () => {
  it("counts pages, documents and raw bytes; a large compressible body is stored lz4-compressed", async () => {
    expect(await archiveStats(db.pool)).toEqual({ pages: 0, documents: 0, rawBytes: 0, storedBytes: 0 });
    expect(await archiveHoldsPages(db.pool)).toBe(false);

    const run = randomUUID();
    const big = `<html>${"<p>the same paragraph again</p>".repeat(20_000)}</html>`;
    await archivePages(db.pool, [
      page("s1", "A", { runId: run, fetchedAt: T1 }),
      page("s2", big, { runId: run, fetchedAt: T1 }),
    ]);
    await archivePages(db.pool, [page("s1", "BB", { runId: run, fetchedAt: T2 })]);

    const stats = await archiveStats(db.pool);
    expect(stats).toMatchObject({ pages: 3, documents: 2, rawBytes: 1 + 2 + big.length });
    expect(big.length).toBeGreaterThan(600_000);
    // Compressed: far below what was served.
    expect(stats.storedBytes).toBeGreaterThan(0);
    expect(stats.storedBytes).toBeLessThan(big.length / 20);
    expect(await archiveHoldsPages(db.pool)).toBe(true);

    const { rows } = await db.pool.query<{ compression: string | null }>(
      "SELECT pg_column_compression(body) AS compression FROM porter_archive.pages WHERE legacy_key = $1",
      [legacyKey("s2")],
    );
    expect(rows).toEqual([{ compression: "lz4" }]);
  });
});

describe("archive migrations", () => {
  const made: string[] = [];

  function urlOf(name: string): string {
    const url = new URL(POSTGRES_URL);
    url.pathname = `/${name}`;
    return url.toString();
  }

  async function inspect(name: string): Promise<Record<string, unknown>> {
    const client = new pg.Client({ connectionString: urlOf(name) });
    await client.connect();
    try {
      const { rows } = await client.query(
        `SELECT to_regclass('porter_archive.pages') IS NOT NULL AS pages,
                to_regclass('public.import_runs') IS NOT NULL AS import_runs,
                to_regclass('public.service_imports') IS NOT NULL AS service_imports,
                to_regclass('public.documents') IS NOT NULL AS documents,
                (SELECT attcompression FROM pg_attribute
                  WHERE attrelid = to_regclass('porter_archive.pages') AND attname = 'body') AS body_compression,
                (SELECT count(*)::int FROM pg_tables WHERE schemaname = 'porter_archive' AND tablename = '__migrations') AS journal`,
      );
      const state = rows[0] as Record<string, unknown>;
      if (state.journal === 1) {
        const applied = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM porter_archive.__migrations");
        state.applied = applied.rows[0]?.n;
      }
      return state;
    } finally {
      await client.end();
    }
  }

  afterAll(async () => {
    const admin = new pg.Client({ connectionString: urlOf("postgres") });
    await admin.connect();
    try {
      for (const name of made) await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  });

  it("migrateArchiveDatabase on a fresh database creates porter_archive.pages and no ledger; twice is fine", async () => {
    const name = uniqueName("porter_archive_only").toLowerCase();
    made.push(name);
    expect(await migrateArchiveDatabase(urlOf(name))).toEqual({ created: true });
    const first = await inspect(name);
    expect(first).toEqual({
      pages: true,
      import_runs: false,
      service_imports: false,
      documents: false,
      body_compression: "l",
      journal: 1,
      applied: 1,
    });

    // Again, with a page in it: nothing applied twice, nothing lost.
    const pool = new pg.Pool({ connectionString: urlOf(name), max: 1 });
    try {
      await archivePages(pool, [page("kept", "bytes", { runId: randomUUID(), fetchedAt: T1 })]);
      expect(await migrateArchiveDatabase(urlOf(name))).toEqual({ created: false });
      expect(await inspect(name)).toEqual(first);
      expect((await latestPage(pool, "kept"))?.body.toString("utf8")).toBe("bytes");
    } finally {
      await pool.end();
    }
  });

  it("migrateDatabase with archive: false creates the ledger without the archive; migrateArchiveDatabase adds it", async () => {
    const name = uniqueName("porter_archive_later").toLowerCase();
    made.push(name);
    await migrateDatabase(urlOf(name), { archive: false });
    expect(await inspect(name)).toMatchObject({ pages: false, import_runs: true, service_imports: true, documents: true, journal: 0 });

    expect(await migrateArchiveDatabase(urlOf(name))).toEqual({ created: false });
    expect(await inspect(name)).toMatchObject({ pages: true, import_runs: true, body_compression: "l", applied: 1 });
  });
});

describe("recordFailedPage", () => {
  function failure(id: string): FailureRecord {
    return {
      ledgerId: id,
      attempts: 1,
      kind: "invalid_json",
      stage: "extract",
      message: "the embedded JSON does not parse",
      stacktrace: "ImportFailure: the embedded JSON does not parse\n    at extractDocument (extract.ts:1:1)",
      durationMs: 7.4,
      final: true,
    };
  }

  it("writes the page and the failure", async () => {
    const seed = await seedRun(db.pool, ["broken"]);
    const id = ledgerId(seed, "broken");
    await recordFailedPage(db.pool, failure(id), page("broken", "<script id=document-data>{oops", { runId: seed.runId, fetchedAt: T1 }));

    expect(await ledgerRow(db.pool, id)).toMatchObject({
      status: "failed",
      attempts: 1,
      error_kind: "invalid_json",
      error_stage: "extract",
      last_error: "the embedded JSON does not parse",
      duration_ms: 7,
    });
    expect(await rowsOf("broken")).toMatchObject([{ body: "<script id=document-data>{oops", run_id: seed.runId, first_run_id: seed.runId }]);
  });

  it("when the page cannot be archived it throws and nothing of the failure is written", async () => {
    const broken = await createTestDatabase("porter_archive_no_pages");
    try {
      await broken.pool.query("DROP TABLE porter_archive.pages");
      const seed = await seedRun(broken.pool, ["lost"]);
      const id = ledgerId(seed, "lost");
      await expect(
        recordFailedPage(broken.pool, failure(id), page("lost", "bytes", { runId: seed.runId, fetchedAt: T1 })),
      ).rejects.toMatchObject({ code: "42P01" });

      expect(await ledgerRow(broken.pool, id)).toMatchObject({
        status: "pending",
        attempts: 0,
        error_kind: null,
        error_stage: null,
        last_error: null,
        finished_at: null,
      });
      // The connection went back usable (or was replaced): the pool still works.
      const { rows } = await broken.pool.query<{ one: number }>("SELECT 1 AS one");
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await broken.drop();
    }
  });
});
