import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { archivePages, createRun, recordFailure, recordListedPage } from "@porter/db";
import { ImportFailure } from "@porter/failures";
import { createTestDatabase, type TestDatabase } from "@porter/testing";
import { createArchiveSource, toArchivedPage } from "../src/index.js";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase("porter_archive_source");
});

afterAll(async () => {
  await db?.drop();
});

/** The pool, counting the statements sent through it. */
function counted(pool: pg.Pool): { pool: pg.Pool; statements: () => number } {
  let n = 0;
  const proxy = new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop === "query") {
        return (...args: unknown[]) => {
          n++;
          return (target.query as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
  return { pool: proxy, statements: () => n };
}

describe("createArchiveSource", () => {
  it("reads a worker's concurrent fetches together: two statements for 40 pages, each page its own bytes", async () => {
    const run = await createRun(db.pool, {});
    const ids = Array.from({ length: 40 }, (_, i) => `doc ${i}`);
    const { rows } = await recordListedPage(db.pool, run.id, ids);
    // 30 archived; 5 failed at fetch in the replayed run (a 404 each), though an older page of them exists; 5 with no page at all.
    await archivePages(
      db.pool,
      ids.slice(0, 35).map((id) => toArchivedPage({ bytes: Buffer.from(`<p>${id}</p>`), contentType: "text/html" }, { runId: randomUUID(), legacyId: id })),
    );
    for (const id of ids.slice(30, 35)) {
      const row = rows.find((r) => r.legacyId === id);
      await recordFailure(db.pool, {
        ledgerId: row?.id as string,
        attempts: 1,
        kind: "not_found",
        stage: "fetch",
        message: `GET document "${id}": 404`,
        stacktrace: undefined,
        durationMs: 1,
        final: true,
      });
    }
    const ledger = counted(db.pool);
    const archive = counted(db.pool);
    const source = createArchiveSource({ ledger: ledger.pool, archive: archive.pool, replayOf: run.id });

    const results = await Promise.allSettled(ids.map((id) => source.fetchPage(id, AbortSignal.timeout(10_000))));
    expect(ledger.statements()).toBe(1);
    expect(archive.statements()).toBe(1);
    for (const [k, result] of results.entries()) {
      const id = ids[k] as string;
      if (k < 30) {
        expect(result.status).toBe("fulfilled");
        expect(result.status === "fulfilled" && result.value.bytes.toString("utf8")).toBe(`<p>${id}</p>`);
      } else {
        expect(result.status).toBe("rejected");
        const failure = (result as PromiseRejectedResult).reason as ImportFailure;
        expect(failure).toBeInstanceOf(ImportFailure);
        expect([failure.kind, failure.retryable, failure.stage]).toEqual(k < 35 ? ["not_found", false, "fetch"] : ["not_archived", false, "fetch"]);
      }
    }
  });

  it("in batches of at most 50", async () => {
    const run = await createRun(db.pool, {});
    const ids = Array.from({ length: 120 }, (_, i) => `many ${i}`);
    await recordListedPage(db.pool, run.id, ids);
    await archivePages(db.pool, ids.map((id) => toArchivedPage({ bytes: Buffer.from(id), contentType: null }, { runId: run.id, legacyId: id })));
    const ledger = counted(db.pool);
    const source = createArchiveSource({ ledger: ledger.pool, archive: db.pool, replayOf: run.id });
    const pages = await Promise.all(ids.map((id) => source.fetchPage(id, AbortSignal.timeout(10_000))));
    expect(pages.map((p) => p.bytes.toString("utf8"))).toEqual(ids);
    expect(ledger.statements()).toBe(3);
  });

  it("a store that is down fails each fetch as a retried database failure", async () => {
    const run = await createRun(db.pool, {});
    // A real pool to a port nothing listens on: the connection is refused.
    const refused = new pg.Pool({ connectionString: "postgres://postgres@127.0.0.1:1/none", connectionTimeoutMillis: 5_000 });
    try {
      const source = createArchiveSource({ ledger: refused, archive: db.pool, replayOf: run.id });
      const failure = (await source.fetchPage("x", AbortSignal.timeout(10_000)).catch((e: unknown) => e)) as ImportFailure;
      expect([failure.kind, failure.retryable, failure.stage]).toEqual(["db_unavailable", true, "fetch"]);
    } finally {
      await refused.end();
    }
  });
});
