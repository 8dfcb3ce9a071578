import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLegacySim, type LegacySim } from "../src/index.js";
import { getJson } from "./helpers.js";

interface Page {
  documents: { id: string; updatedAt: string }[];
  nextCursor: string | null;
}

async function listAll(sim: LegacySim, limit: number): Promise<Page[]> {
  const pages: Page[] = [];
  let cursor: string | null = null;
  do {
    const query: string = `limit=${limit}${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`;
    const res = await fetch(`${sim.url}/documents?${query}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const page = (await res.json()) as Page;
    pages.push(page);
    cursor = page.nextCursor;
    expect(pages.length).toBeLessThan(10_000);
  } while (cursor !== null);
  return pages;
}

describe("listing", () => {
  let plain: LegacySim;
  let faulty: LegacySim;
  beforeAll(async () => {
    plain = await startLegacySim({ docs: 2_345 });
    faulty = await startLegacySim({ docs: 5_000, seed: 9, faults: { duplicate: 0.1, "empty-page": 0.3 } });
  });
  afterAll(async () => {
    await plain.close();
    await faulty.close();
  });

  it("pages through every id exactly once, in order, with the documents' updatedAt", async () => {
    const pages = await listAll(plain, 1000);
    expect(pages.map((p) => p.documents.length)).toEqual([1000, 1000, 345]);
    const listed = pages.flatMap((p) => p.documents);
    expect(listed.map((d) => d.id)).toEqual(Array.from({ length: plain.corpus.size }, (_, i) => plain.corpus.id(i)));
    for (let i = 0; i < listed.length; i += 97) expect(listed[i]?.updatedAt).toBe(plain.corpus.document(i).updatedAt);
    expect(plain.stats().listings).toBe(3);
  });

  it("defaults to 100 per page", async () => {
    const { body } = await getJson(`${plain.url}/documents`);
    expect((body as Page).documents).toHaveLength(100);
    expect(typeof (body as Page).nextCursor).toBe("string");
  });

  it("with duplicates and empty pages still covers every id, in order of first listing", async () => {
    const pages = await listAll(faulty, 250);
    const ids = pages.flatMap((p) => p.documents.map((d) => d.id));
    const corpusIds = Array.from({ length: faulty.corpus.size }, (_, i) => faulty.corpus.id(i));
    expect([...new Set(ids)]).toEqual(corpusIds); // first occurrences are the corpus in order
    expect(ids.length).toBeGreaterThan(corpusIds.length * 1.05);
    expect(pages.every((p) => p.documents.length <= 250)).toBe(true);

    const empty = pages.filter((p) => p.documents.length === 0);
    expect(empty.length).toBeGreaterThan(2);
    expect(empty.every((p) => p.nextCursor !== null)).toBe(true);

    const samePage = pages.some((p) => new Set(p.documents.map((d) => d.id)).size < p.documents.length);
    expect(samePage).toBe(true);
    const firstPageOf = new Map<string, number>();
    let laterPage = false;
    pages.forEach((p, n) =>
      p.documents.forEach((d) => {
        const first = firstPageOf.get(d.id);
        if (first === undefined) firstPageOf.set(d.id, n);
        else if (first < n) laterPage = true;
      }),
    );
    expect(laterPage).toBe(true);
    const stats = faulty.stats().faultsServed;
    expect(stats["duplicate"]).toBe(ids.length - corpusIds.length);
    expect(stats["empty-page"]).toBe(empty.length);
  });

  it("is deterministic: the same cursor gives the same page", async () => {
    const first = (await getJson(`${faulty.url}/documents?limit=300`)).body as Page;
    const cursor = encodeURIComponent(first.nextCursor ?? "");
    const a = await getJson(`${faulty.url}/documents?limit=300&cursor=${cursor}`);
    const b = await getJson(`${faulty.url}/documents?limit=300&cursor=${cursor}`);
    expect(a).toEqual(b);
  });

  it("rejects bad limits and cursors with a JSON 400", async () => {
    for (const query of ["limit=1001", "limit=0", "limit=-1", "limit=abc", "limit=1.5", "cursor=garbage", "cursor=", `cursor=${Buffer.from("v1.99999.0.0").toString("base64url")}`]) {
      const { status, body } = await getJson(`${plain.url}/documents?${query}`);
      expect(status, query).toBe(400);
      expect(typeof (body as { error: unknown }).error).toBe("string");
    }
    expect((await getJson(`${plain.url}/documents?limit=1000`)).status).toBe(200);
  });

  it("lists nothing for an empty corpus", async () => {
    const sim = await startLegacySim({ docs: 0 });
    try {
      expect((await getJson(`${sim.url}/documents`)).body).toEqual({ documents: [], nextCursor: null });
    } finally {
      await sim.close();
    }
  });
});
