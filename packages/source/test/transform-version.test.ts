import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ImportFailure } from "@porter/failures";
import { documentPage, embedJson, sampleDocument } from "@porter/testing";
import { extractDocument, TRANSFORM_VERSION } from "../src/index.js";

// The golden test of TRANSFORM_VERSION: what the extraction and validation
// make of a fixed corpus of pages, as one digest. When their output changes,
// this fails until TRANSFORM_VERSION is raised and the new digest written
// into transform-golden.json, so a changed-only run never keeps documents an
// older transform wrote. The corpus is generated here, by a fixed PRNG, so no
// library upgrade can change it.

const GOLDEN = JSON.parse(readFileSync(new URL("./transform-golden.json", import.meta.url), "utf8")) as { version: number; digest: string };

/** mulberry32: small, fixed, and ours. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TEXTS = ["plain", "ünïcödé 🚀", 'a "quote" and \\ back', "</script> inside", "<!-- not a comment -->", "line\r\nbreak", "tab\tand\u00a0nbsp", "&amp; &lt;b&gt;", "", "   "];
const STAMPS = ["2020-01-02T03:04:05Z", "2020-01-02T03:04:05.123456Z", "2021-06-07T08:09:10.654321+02:00", "0001-01-01T00:00:00Z", "2024-02-29T23:59:59.999999-15:59"];
const OPEN_TAGS = [
  '<script id="document-data" type="application/json">',
  "<script type='application/json' id='document-data'>",
  "<SCRIPT ID=document-data>",
  '<script/id="document-data">',
  '<script id="document&#45;data">',
];
const BEFORE = ["", "<script>var x = '</div>';</script>", '<!-- <script id="document-data">{}</script> -->', "<template><script id=\"document-data\">{}</script></template>", "<textarea><script id=document-data>{}</script></textarea>"];

function page(r: () => number, i: number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const doc = sampleDocument(`golden-${i}`, {
    title: pick(TEXTS),
    body: Array.from({ length: 1 + Math.floor(r() * 4) }, () => pick(TEXTS)).join(" "),
    tags: Array.from({ length: Math.floor(r() * 3) }, () => pick(TEXTS)),
    createdAt: pick(STAMPS),
    updatedAt: pick(STAMPS),
    attachments: Array.from({ length: Math.floor(r() * 3) }, (_, k) => ({ name: pick(TEXTS), url: `https://x.example/${k}`, size: Math.floor(r() * 2 ** 40) })),
  });
  const broken = r();
  if (broken < 0.04) return `<html><body>${pick(BEFORE)}no data here</body></html>`;
  if (broken < 0.08) return `<html><body>${pick(OPEN_TAGS)}${embedJson(doc).slice(0, -3)}</script></body></html>`;
  if (broken < 0.12) return documentPage({ ...doc, createdAt: "yesterday" });
  if (broken < 0.14) return documentPage({ ...doc, title: "nul\u0000" });
  return `<!doctype html><html><body>${pick(BEFORE)}${pick(OPEN_TAGS)}${embedJson(doc)}</script></body></html>`;
}

function corpusDigest(): { digest: string; documents: number; failures: number } {
  const r = prng(20_261_201);
  const hash = createHash("sha256");
  let documents = 0;
  let failures = 0;
  for (let i = 0; i < 400; i++) {
    let outcome: unknown;
    try {
      outcome = { document: extractDocument(page(r, i), `golden-${i}`) };
      documents++;
    } catch (err) {
      if (!(err instanceof ImportFailure)) throw err;
      outcome = { kind: err.kind };
      failures++;
    }
    hash.update(`${JSON.stringify(outcome)}\n`);
  }
  return { digest: hash.digest("hex"), documents, failures };
}

describe("TRANSFORM_VERSION", () => {
  it("is raised whenever the extraction's output for the golden corpus changes", () => {
    const { digest, documents, failures } = corpusDigest();
    // The corpus exercises both ends: documents and each kind of refusal.
    expect(documents).toBeGreaterThan(300);
    expect(failures).toBeGreaterThan(20);
    const fix = `raise TRANSFORM_VERSION in packages/source/src/transform-version.ts to ${TRANSFORM_VERSION + 1} and write {"version": ${TRANSFORM_VERSION + 1}, "digest": "${digest}"} into packages/source/test/transform-golden.json`;
    expect(digest, `the transform's output changed: ${fix}`).toBe(GOLDEN.digest);
    expect(GOLDEN.version, "transform-golden.json was written for another TRANSFORM_VERSION").toBe(TRANSFORM_VERSION);
  });
});
