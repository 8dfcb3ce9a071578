import { describe, expect, it } from "vitest";
import { createCorpus, FAULTS, type FaultName } from "../src/index.js";
import { ID_SHAPES } from "../src/ids.js";
import { dataTagIndex, extractJson } from "./helpers.js";

const LONE_SURROGATE = /[\uD800-\uDFFF]/u; // with /u, only unpaired halves match

function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (value && typeof value === "object") for (const v of Object.values(value)) strings(v, out);
  return out;
}

describe("corpus", () => {
  const corpus = createCorpus({ docs: 1_000_000, seed: 7 });

  it("is deterministic per seed and differs across seeds", () => {
    const again = createCorpus({ docs: 1_000_000, seed: 7 });
    const other = createCorpus({ docs: 1_000_000, seed: 8 });
    let differentIds = 0;
    for (let i = 0; i < 300; i++) {
      expect(again.id(i)).toBe(corpus.id(i));
      expect(again.document(i)).toEqual(corpus.document(i));
      expect(again.render(i).equals(corpus.render(i))).toBe(true);
      if (other.id(i) !== corpus.id(i)) differentIds++;
      expect(other.document(i)).not.toEqual(corpus.document(i));
    }
    expect(differentIds).toBeGreaterThan(200);
  });

  it("indexOf inverts id in O(1) and rejects junk", () => {
    for (let k = 0; k < 5000; k++) {
      const i = (k * 7_919_993 + k) % corpus.size;
      expect(corpus.indexOf(corpus.id(i))).toBe(i);
    }
    expect(corpus.indexOf(corpus.id(corpus.size - 1))).toBe(corpus.size - 1);
    const small = createCorpus({ docs: 10, seed: 7 });
    const junk = ["", "doc-", "42", "doc-01", `x${small.id(3)}`, `${small.id(3)} `, small.id(3).replace("3", "３"), "doc-99999999999999999999999"];
    junk.push(corpus.id(10).replace("10", "010"), corpus.id(10)); // a valid id of the big corpus is junk for the small one
    for (const id of junk) expect(small.indexOf(id), id).toBeUndefined();
  });

  it("produces every id shape: spaces, slashes, unicode, astral emoji and plain ones", () => {
    const shapes = new Set<string>();
    const ids: string[] = [];
    for (let i = 0; i < 2000; i++) {
      shapes.add(corpus.idShape(i));
      ids.push(corpus.id(i));
    }
    expect([...shapes].sort()).toEqual([...new Set(ID_SHAPES.map((s) => s.name))].sort());
    expect(ids.some((id) => id.includes(" "))).toBe(true);
    expect(ids.some((id) => id.includes("/"))).toBe(true);
    expect(ids.some((id) => /\p{Script=Han}/u.test(id))).toBe(true);
    expect(ids.some((id) => /[éè]/.test(id))).toBe(true);
    expect(ids.some((id) => /\p{Extended_Pictographic}/u.test(id) && /[\u{10000}-\u{10FFFF}]/u.test(id))).toBe(true);
    expect(ids.some((id) => /^[A-Za-z0-9_-]+$/.test(id))).toBe(true);
  });

  it("builds documents of the documented shape with hostile but valid text", () => {
    const all: string[] = [];
    const bad: string[] = [];
    const bodies: number[] = [];
    const precisions = new Set<number>();
    const offsets = new Set<string>();
    let bigSizes = 0;
    for (let i = 0; i < 3000; i++) {
      const doc = corpus.document(i);
      expect(Object.keys(doc)).toEqual(["id", "title", "body", "author", "tags", "createdAt", "updatedAt", "attachments"]);
      expect(doc.id).toBe(corpus.id(i));
      expect(Object.keys(doc.author)).toEqual(["id", "name"]);
      expect(doc.tags.length).toBeLessThanOrEqual(5);
      expect(doc.tags.every((t) => typeof t === "string")).toBe(true);
      expect(doc.attachments.length).toBeLessThanOrEqual(3);
      for (const a of doc.attachments) {
        expect(Object.keys(a)).toEqual(["name", "url", "size"]);
        expect(Number.isSafeInteger(a.size) && a.size >= 0).toBe(true);
        if (a.size > 2 ** 31) bigSizes++;
      }
      for (const t of [doc.createdAt, doc.updatedAt]) {
        const m = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3}|\.\d{6})?(Z|[+-]\d{2}:\d{2})$/.exec(t);
        expect(m, t).not.toBeNull();
        precisions.add((m?.[1] ?? ".").length - 1);
        offsets.add(m?.[2] ?? "");
      }
      expect(Date.parse(doc.updatedAt)).toBeGreaterThanOrEqual(Date.parse(doc.createdAt));
      expect(corpus.updatedAt(i)).toBe(doc.updatedAt);
      bodies.push(doc.body.length);
      for (const s of strings(doc)) {
        if (s.includes("\u0000") || LONE_SURROGATE.test(s)) bad.push(s);
        all.push(s);
      }
    }
    expect(bad).toEqual([]);
    expect([...precisions].sort()).toEqual([0, 3, 6]);
    expect(offsets).toContain("Z");
    expect(offsets).toContain("+02:00");
    expect(offsets).toContain("-05:30");
    expect(bigSizes).toBeGreaterThan(10);
    expect(bodies.filter((n) => n >= 300 && n <= 3300).length / bodies.length).toBeGreaterThan(0.95);
    const text = all.join("\n");
    for (const needle of ["</script>", "<!--", "\\", '"', "'", "\n", "\t", "😀", "漢字", "مرحبا", "שלום", "e\u0301", "\u{1D518}"]) {
      expect(text.includes(needle), JSON.stringify(needle)).toBe(true);
    }
  });

  it("gives about 1 in 2,000 documents a 1–3 MB body", () => {
    const big: number[] = [];
    for (let i = 0; i < 20_000; i++) if (corpus.document(i).body.length > 100_000) big.push(i);
    expect(big.length).toBeGreaterThanOrEqual(3);
    expect(big.length).toBeLessThanOrEqual(25);
    for (const i of big) {
      const bytes = Buffer.byteLength(corpus.document(i).body);
      expect(bytes).toBeGreaterThanOrEqual(1_000_000);
      expect(bytes).toBeLessThan(3_100_000);
      expect(JSON.parse(extractJson(corpus.render(i).toString()) ?? "")).toEqual(corpus.document(i));
    }
  });

  it("embeds exactly JSON.stringify(document) with </ written <\\/ and <!-- written <\\u0021-- (compact or pretty)", () => {
    const safe = (json: string) => json.replaceAll("</", "<\\/").replaceAll("<!--", "<\\u0021--");
    let commented = 0;
    for (let i = 0; i < 2000; i++) {
      const doc = corpus.document(i);
      const html = corpus.render(i).toString("utf8");
      const text = (extractJson(html) ?? "").trim();
      // An HTML5 parser would read a raw "<!--" in script data as an escaped section, in
      // which a "<script" makes the element's own "</script>" text.
      expect(text.includes("<!--"), `document ${i}`).toBe(false);
      if (JSON.stringify(doc).includes("<!--")) commented++;
      const compact = safe(JSON.stringify(doc));
      const pretty = safe(JSON.stringify(doc, null, 2));
      expect(text === compact || text === pretty, `document ${i}`).toBe(true);
      expect(JSON.parse(text)).toEqual(doc);
      // Exactly one document-data tag: no decoy carries the real tag's text.
      expect(html.match(/<script\s[^>]*?(?<![-\w])id=["']?document-data(?=["'\s>])/gi)?.length).toBe(1);
    }
    // the corpus does hold "<!--" in its text, so the escape is exercised
    expect(commented).toBeGreaterThan(100);
  });

  it("varies the tag: attribute order, quoting, white space, case, and decoys before it", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const html = corpus.render(i).toString();
      const tagAt = dataTagIndex(html);
      expect(tagAt).toBeGreaterThan(0);
      const tag = html.slice(tagAt, html.indexOf(">", tagAt) + 1);
      if (/^<script\s+type/i.test(tag)) seen.add("type-first");
      if (/^<script\s+id/i.test(tag)) seen.add("id-first");
      if (tag.includes("'")) seen.add("single");
      if (/id=document-data/.test(tag)) seen.add("unquoted");
      if (tag.includes("\n")) seen.add("newline");
      if (tag.startsWith("<SCRIPT")) seen.add("upper");
      const before = html.slice(0, tagAt);
      if (before.includes('id="document-data-preview"')) seen.add("preview-decoy");
      if (before.includes('data-id="document-data"')) seen.add("data-id-decoy");
      if (before.includes("application/ld+json")) seen.add("ld-json-decoy");
      if (before.includes("<script>\n")) seen.add("js-decoy");
    }
    expect([...seen].sort()).toEqual(
      ["type-first", "id-first", "single", "unquoted", "newline", "upper", "preview-decoy", "data-id-decoy", "ld-json-decoy", "js-decoy"].sort(),
    );
  });
});

describe("faults", () => {
  it("has a CLI-ready table", () => {
    for (const [name, spec] of Object.entries(FAULTS)) {
      expect(spec.flag).toBe(name);
      expect(spec.flag).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(spec.description.length).toBeGreaterThan(10);
      expect(["transient", "permanent"]).toContain(spec.persistence);
    }
    expect(Object.keys(FAULTS).sort()).toEqual(
      ["bad-json", "bad-shape", "duplicate", "empty-page", "hang", "missing-tag", "not-found", "rate-limit", "reset", "server-error", "slow", "too-large"].sort(),
    );
  });

  it("assigns at most one fault per id, at about the given rates, with matching expectations", () => {
    const faults: Partial<Record<FaultName, number>> = { "rate-limit": 0.1, reset: 0.05, "not-found": 0.1, "missing-tag": 0.05, "bad-json": 0.05, "bad-shape": 0.05, "too-large": 0.02 };
    const corpus = createCorpus({ docs: 20_000, seed: 3, faults });
    const counts: Record<string, number> = {};
    for (let i = 0; i < corpus.size; i++) {
      const f = corpus.fault(i);
      counts[f ?? "none"] = (counts[f ?? "none"] ?? 0) + 1;
      const failure = f === null ? null : FAULTS[f].failure;
      expect(corpus.expectation(i)).toEqual(failure === null ? { outcome: "succeeded" } : { outcome: "failed", kind: failure });
    }
    for (const [name, rate] of Object.entries(faults)) {
      expect(Math.abs((counts[name] ?? 0) / corpus.size - rate), name).toBeLessThan(0.01);
    }
    expect(counts["none"]).toBeGreaterThan(0.55 * corpus.size);
    expect(createCorpus({ docs: 20_000, seed: 3, faults }).fault(123)).toBe(corpus.fault(123));
  });

  it("rejects bad rates", () => {
    expect(() => createCorpus({ docs: 1, faults: { hang: 1.5 } })).toThrow(RangeError);
    expect(() => createCorpus({ docs: 1, faults: { hang: 0.6, slow: 0.6 } })).toThrow(/sum/);
    expect(() => createCorpus({ docs: 1, faults: { nope: 0.1 } as Partial<Record<FaultName, number>> })).toThrow(/unknown/);
    expect(() => createCorpus({ docs: 1, faults: { duplicate: 1, "empty-page": 1, hang: 1 } })).not.toThrow();
  });
});
