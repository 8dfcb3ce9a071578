import { describe, expect, it } from "vitest";
import { createCorpus, startLegacySim } from "../src/index.js";
import { docUrl, extractJson, getJson } from "./helpers.js";

const DAY_MS = 24 * 3600 * 1000;

/** Milliseconds since the epoch of an ISO-8601 text with up to 6 fractional digits. */
function instant(text: string): number {
  return Date.parse(text.replace(/(\.\d{3})\d+/, "$1"));
}

describe("touched documents (edited at the source since a run)", () => {
  const before = createCorpus({ docs: 5_000, seed: 3 });
  const after = createCorpus({ docs: 5_000, seed: 3, touched: 0.1 });

  it("moves updatedAt one day later for about the given fraction of ids, and changes nothing else", () => {
    let touched = 0;
    for (let i = 0; i < after.size; i++) {
      expect(after.id(i)).toBe(before.id(i));
      expect(after.fault(i)).toBe(before.fault(i));
      if (!after.touched(i)) {
        expect(after.updatedAt(i)).toBe(before.updatedAt(i));
        continue;
      }
      touched++;
      expect(instant(after.updatedAt(i)) - instant(before.updatedAt(i))).toBe(DAY_MS);
      if (i % 50 === 0) {
        // the page's document agrees with the listing; only updatedAt differs
        const doc = after.document(i);
        expect(doc.updatedAt).toBe(after.updatedAt(i));
        expect({ ...doc, updatedAt: "" }).toEqual({ ...before.document(i), updatedAt: "" });
      }
    }
    expect(touched).toBeGreaterThan(350);
    expect(touched).toBeLessThan(650);
  });

  it("is off by default and rejects a rate outside [0, 1]", () => {
    expect(before.touchedRate).toBe(0);
    expect(Array.from({ length: 1000 }, (_, i) => before.touched(i)).some(Boolean)).toBe(false);
    expect(() => createCorpus({ docs: 10, touched: 1.5 })).toThrow(RangeError);
    expect(() => createCorpus({ docs: 10, touched: -0.1 })).toThrow(RangeError);
  });

  it("serves the later updatedAt in the listing and in the page", async () => {
    const sim = await startLegacySim({ docs: 200, seed: 3, touched: 0.5 });
    try {
      const { body } = await getJson(`${sim.url}/documents?limit=200`);
      const listed = (body as { documents: { id: string; updatedAt: string }[] }).documents;
      const i = listed.findIndex((_, k) => sim.corpus.touched(k));
      expect(i).toBeGreaterThanOrEqual(0);
      expect(listed[i]?.updatedAt).toBe(sim.corpus.updatedAt(i));
      expect(listed[i]?.updatedAt).not.toBe(before.updatedAt(i));
      const html = await (await fetch(docUrl(sim.url, sim.corpus.id(i)))).text();
      expect((JSON.parse(extractJson(html) ?? "") as { updatedAt: string }).updatedAt).toBe(sim.corpus.updatedAt(i));
    } finally {
      await sim.close();
    }
  });
});
