import { createHash, randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { archivePages, legacyKey } from "@porter/db";
import { createTestDatabase, type TestDatabase } from "@porter/testing";
import { exportArchive, toArchivedPage } from "../src/index.js";

let db: TestDatabase;
const out = mkdtempSync(join(tmpdir(), "porter-export-"));

beforeAll(async () => {
  db = await createTestDatabase("porter_archive_export");
});

afterAll(async () => {
  rmSync(out, { recursive: true, force: true });
  await db?.drop();
});

describe("exportArchive", () => {
  it("writes each document's latest page byte for byte, bodies a bounded number of bytes at a time, with an index", async () => {
    const run = randomUUID();
    // Three pages of 7 MB cannot share one 16 MB read; small ones around them can.
    const pages = new Map<string, Buffer>([
      ["small a", Buffer.from("<html>a</html>")],
      ["big/1", Buffer.alloc(7 * 1024 * 1024, "1")],
      ["big/2", Buffer.alloc(7 * 1024 * 1024, "2")],
      ["ünï 3", Buffer.alloc(7 * 1024 * 1024, "3")],
      ["binary", Buffer.from([0, 255, 1, 254])],
    ]);
    await archivePages(
      db.pool,
      [...pages].map(([id, bytes]) =>
        toArchivedPage({ bytes, contentType: id === "binary" ? "application/octet-stream" : "text/html; charset=utf-8" }, { runId: run, legacyId: id, updatedAt: "2024-01-01T00:00:00Z" }),
      ),
    );
    // A newer page of one document: the export takes it.
    pages.set("small a", Buffer.from("<html>a, later</html>"));
    await archivePages(db.pool, [toArchivedPage({ bytes: pages.get("small a") as Buffer, contentType: "text/html" }, { runId: run, legacyId: "small a" }, new Date(Date.now() + 1000))]);

    const dir = join(out, "x");
    const progress: number[] = [];
    const result = await exportArchive(db.pool, dir, { onProgress: (n) => progress.push(n) });
    expect(result).toEqual({ documents: 5, bytes: [...pages.values()].reduce((sum, b) => sum + b.length, 0) });
    expect(progress.at(-1)).toBe(5);

    const index = readFileSync(join(dir, "index.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { legacyId: string; file: string; sha256: string; bytes: number; contentType: string; runId: string });
    expect(index.map((e) => e.legacyId).sort()).toEqual([...pages.keys()].sort());
    for (const entry of index) {
      const expected = pages.get(entry.legacyId) as Buffer;
      const written = readFileSync(join(dir, entry.file));
      expect(written.equals(expected), entry.legacyId).toBe(true);
      expect(entry.sha256).toBe(createHash("sha256").update(expected).digest("hex"));
      expect(entry.bytes).toBe(expected.length);
      expect(entry.runId).toBe(run);
      expect(entry.file).toBe(`pages/${legacyKey(entry.legacyId).toString("hex")}.${entry.legacyId === "binary" ? "bin" : "html"}`);
    }
    expect(readdirSync(join(dir, "pages"))).toHaveLength(5);

    await expect(exportArchive(db.pool, dir)).rejects.toThrow(/is not empty/);
  });
});
