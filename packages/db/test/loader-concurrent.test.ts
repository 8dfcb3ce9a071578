import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, sampleDocument, type TestDatabase } from "@porter/testing";
import { loadDocument, type DocumentRecord } from "../src/index.js";
import { ledgerId, seedRun } from "./fixtures.js";
import { holdLock, waitForLoads } from "./lock-holder.js";

/*
 * Two loads of one legacy id that overlap: a stalled job handed to a second worker
 * while the first still runs, or two runs over the same document. Whatever the
 * interleaving, the document must end with exactly one set of attachments.
 * The lock makes the overlap deterministic: both statements start, then wait.
 */

let db: TestDatabase;
const locks: { release(): Promise<void> }[] = [];

beforeAll(async () => {
  db = await createTestDatabase("porter_loader_concurrent");
});

afterAll(async () => {
  await Promise.allSettled(locks.map((l) => l.release()));
  await db?.drop();
});

async function attachmentNames(legacyId: string): Promise<string[]> {
  const { rows } = await db.pool.query(
    `SELECT a.name FROM document_attachments a JOIN documents d ON d.id = a.document_id
      WHERE d.legacy_id = $1 ORDER BY a.position, a.name`,
    [legacyId],
  );
  return (rows as { name: string }[]).map((r) => r.name);
}

const twoAttachments = (tag: string): DocumentRecord["attachments"] => [
  { name: `${tag}-0`, url: "https://x/0", size: 10 },
  { name: `${tag}-1`, url: "https://x/1", size: 11 },
];

describe("overlapping loads of one document", () => {
  // KNOWN BUG (packages/db/src/loader/load-document.ts, LOAD_DOCUMENT): the statement's
  // `old_attachments` DELETE reads the snapshot taken when the statement began, so it
  // cannot see attachments committed by an overlapping load it waited for; both sets
  // stay. Flip `it.fails` to `it` once the attachments are replaced in a statement that
  // starts after the document row is locked.
  it("the same ledger row loaded twice at once keeps one set of attachments", async () => {
    const doc = sampleDocument("twice", { attachments: twoAttachments("v") });
    const seed = await seedRun(db.pool, [doc.id]);
    const id = ledgerId(seed, doc.id);
    const lock = await holdLock(db.url, "SELECT id FROM service_imports WHERE id = $1 FOR UPDATE", [id]);
    locks.push(lock);

    const input = { ledgerId: id, runId: seed.runId, attempts: 1, durationMs: 1, document: doc };
    const loads = [loadDocument(db.pool, input), loadDocument(db.pool, { ...input, attempts: 2 })];
    await waitForLoads(db.pool, 2, true);
    await lock.release();
    expect(await Promise.all(loads)).toEqual([true, true]);

    const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM documents WHERE legacy_id = $1", [doc.id]);
    expect(rows[0]).toEqual({ n: 1 });
    expect(await attachmentNames(doc.id)).toEqual(["v-0", "v-1"]);
  });

  it("two runs loading one existing document at once leave one set of attachments", async () => {
    const first = await seedRun(db.pool, ["shared"]);
    await loadDocument(db.pool, {
      ledgerId: ledgerId(first, "shared"),
      runId: first.runId,
      attempts: 1,
      durationMs: 1,
      document: sampleDocument("shared", { attachments: twoAttachments("old") }),
    });
    const a = await seedRun(db.pool, ["shared"]);
    const b = await seedRun(db.pool, ["shared"]);
    const lock = await holdLock(db.url, "SELECT id FROM documents WHERE legacy_id = $1 FOR UPDATE", ["shared"]);
    locks.push(lock);

    const loads = [
      loadDocument(db.pool, {
        ledgerId: ledgerId(a, "shared"),
        runId: a.runId,
        attempts: 1,
        durationMs: 1,
        document: sampleDocument("shared", { attachments: twoAttachments("a") }),
      }),
      loadDocument(db.pool, {
        ledgerId: ledgerId(b, "shared"),
        runId: b.runId,
        attempts: 1,
        durationMs: 1,
        document: sampleDocument("shared", { attachments: twoAttachments("b") }),
      }),
    ];
    await waitForLoads(db.pool, 2, true);
    await lock.release();
    expect(await Promise.all(loads)).toEqual([true, true]);

    const names = await attachmentNames("shared");
    // one whole set: whichever load committed last
    expect([["a-0", "a-1"], ["b-0", "b-1"]]).toContainEqual(names);
  });
});
