import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImportFailure } from "@porter/failures";
import { createTestDatabase, sampleDocument, type TestDatabase } from "@porter/testing";
import { loadDocument } from "../src/index.js";
import { ledgerId, ledgerRow, seedRun } from "./fixtures.js";
import { activeLoads, holdLock, waitForLoads } from "./lock-holder.js";

let db: TestDatabase;
const locks: { release(): Promise<void> }[] = [];

beforeAll(async () => {
  db = await createTestDatabase("porter_attempt_timeout");
});

afterAll(async () => {
  await Promise.allSettled(locks.map((l) => l.release()));
  await db?.drop();
});

async function documentCount(legacyId: string): Promise<number> {
  const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM documents WHERE legacy_id = $1", [legacyId]);
  return (rows[0] as { n: number }).n;
}

describe("an attempt's timeout during the load", () => {
  it("rejects with a load timeout at once and leaves no partial document once the lock goes", async () => {
    const doc = sampleDocument("slow-load");
    const seed = await seedRun(db.pool, [doc.id]);
    const id = ledgerId(seed, doc.id);
    // another transaction holds the ledger row: the load statement must wait for it
    const lock = await holdLock(db.url, "SELECT id FROM service_imports WHERE id = $1 FOR UPDATE", [id]);
    locks.push(lock);

    const started = Date.now();
    const outcome = await loadDocument(
      db.pool,
      { ledgerId: id, runId: seed.runId, attempts: 1, durationMs: 0, document: doc },
      AbortSignal.timeout(300),
    ).then(
      () => undefined,
      (err: unknown) => err,
    );
    const elapsed = Date.now() - started;

    expect(outcome).toBeInstanceOf(ImportFailure);
    const failure = outcome as ImportFailure;
    expect(failure.kind).toBe("timeout");
    expect(failure.stage).toBe("load");
    expect(failure.retryable).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(3_000);

    // the statement was cancelled, not left queued behind the lock (which is still held)
    await waitForLoads(db.pool, 0, false);

    await lock.release();
    // nothing can commit late: no load statement is left, and nothing was written
    expect(await activeLoads(db.pool)).toBe(0);
    expect(await documentCount(doc.id)).toBe(0);
    expect(await ledgerRow(db.pool, id)).toMatchObject({ status: "pending", attempts: 0, finished_at: null });

    // the pool is healthy afterwards: the next attempt loads
    expect(
      await loadDocument(
        db.pool,
        { ledgerId: id, runId: seed.runId, attempts: 2, durationMs: 1, document: doc },
        AbortSignal.timeout(5_000),
      ),
    ).toBe(true);
    expect(await documentCount(doc.id)).toBe(1);
    expect(await ledgerRow(db.pool, id)).toMatchObject({ status: "succeeded", attempts: 2 });
  });

  it("a lock on the existing document row: the update is cancelled and the old version stays whole", async () => {
    const seed = await seedRun(db.pool, ["locked-doc"]);
    const id = ledgerId(seed, "locked-doc");
    const v1 = sampleDocument("locked-doc", {
      title: "v1",
      attachments: [
        { name: "a", url: "u", size: 1 },
        { name: "b", url: "u", size: 2 },
      ],
    });
    expect(await loadDocument(db.pool, { ledgerId: id, runId: seed.runId, attempts: 1, durationMs: 1, document: v1 })).toBe(true);

    const again = await seedRun(db.pool, ["locked-doc"]);
    const againId = ledgerId(again, "locked-doc");
    const lock = await holdLock(db.url, "SELECT id FROM documents WHERE legacy_id = $1 FOR UPDATE", ["locked-doc"]);
    locks.push(lock);
    const v2 = sampleDocument("locked-doc", { title: "v2", attachments: [{ name: "c", url: "u", size: 3 }] });
    await expect(
      loadDocument(db.pool, { ledgerId: againId, runId: again.runId, attempts: 1, durationMs: 0, document: v2 }, AbortSignal.timeout(300)),
    ).rejects.toMatchObject({ kind: "timeout", stage: "load" });
    await waitForLoads(db.pool, 0, false);
    await lock.release();

    const { rows } = await db.pool.query(
      `SELECT d.title, d.run_id, array_agg(a.name ORDER BY a.position) AS names
         FROM documents d JOIN document_attachments a ON a.document_id = d.id
        WHERE d.legacy_id = 'locked-doc' GROUP BY d.title, d.run_id`,
    );
    expect(rows).toEqual([{ title: "v1", run_id: seed.runId, names: ["a", "b"] }]);
    // the second run's ledger row did not succeed either (same transaction)
    expect(await ledgerRow(db.pool, againId)).toMatchObject({ status: "pending", attempts: 0 });
  });

  it("an already aborted signal fails before touching the database", async () => {
    const doc = sampleDocument("pre-aborted");
    const seed = await seedRun(db.pool, [doc.id]);
    const controller = new AbortController();
    controller.abort();
    await expect(
      loadDocument(
        db.pool,
        { ledgerId: ledgerId(seed, doc.id), runId: seed.runId, attempts: 1, durationMs: 0, document: doc },
        controller.signal,
      ),
    ).rejects.toMatchObject({ name: "ImportFailure", kind: "timeout", stage: "load" });
    expect(await documentCount(doc.id)).toBe(0);
    expect(await ledgerRow(db.pool, ledgerId(seed, doc.id))).toMatchObject({ status: "pending" });
  });
});
