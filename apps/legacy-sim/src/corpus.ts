import { bodyPlan, bodyText, buildDocument, documentTimes, type SimDocument } from "./document.js";
import { assignFault, faultDetail, FAULTS, normalizeRates, type DocumentFaultName, type FailureKind, type FaultName, type FaultRates } from "./faults.js";
import { idShape, makeId, parseIndex, type IdShapeName } from "./ids.js";
import { brokenJson, embedJson, renderPage, wrongShape } from "./page.js";
import { joinBytes } from "./bytes.js";
import { Rng, Salt, unit } from "./prng.js";
import { safeSlice, sentenceJson, sentenceText } from "./text.js";

export type Expectation = { outcome: "succeeded" } | { outcome: "failed"; kind: FailureKind };

// A raw U+0000 never occurs in the corpus and JSON escapes it, so it marks the body's place.
const BODY_SLOT = "\u0000";
const ESCAPED_SLOT = JSON.stringify(BODY_SLOT);

export interface CorpusOptions {
  docs: number;
  seed?: number;
  faults?: Partial<Record<FaultName, number>>;
  /** too-large pages exceed this many bytes (default 33_554_433). */
  tooLargeBytes?: number;
  /**
   * Fraction of ids (0–1, default 0) whose document was edited at the source
   * since an earlier run with the same seed: its updatedAt, in the page and in
   * the listing, is one day later. Nothing else about it changes.
   */
  touched?: number;
}

/**
 * A deterministic corpus: everything is recomputed from (seed, index), nothing is stored,
 * so memory stays flat for millions of documents.
 */
export interface Corpus {
  readonly size: number;
  readonly seed: number;
  readonly rates: FaultRates;
  readonly tooLargeBytes: number;
  /** The `touched` rate the corpus was made with. */
  readonly touchedRate: number;
  id(i: number): string;
  /** Inverse of id(i) in O(1); undefined for anything that is not a corpus id. */
  indexOf(id: string): number | undefined;
  idShape(i: number): IdShapeName;
  /** The listing's updatedAt, cheap (does not build the body). */
  updatedAt(i: number): string;
  /** The true document (for bad-shape/bad-json ids the page serves a corrupted form of it). */
  document(i: number): SimDocument;
  /**
   * The HTML page served with 200 for id i, as UTF-8 bytes (for a not-found id: the page it
   * would have had). For too-large ids this copies 32 MB; servers use renderChunks.
   */
  render(i: number): Buffer;
  /** The same bytes as render(i), in pieces; too-large padding is a shared, uncopied buffer. */
  renderChunks(i: number): Buffer[];
  fault(i: number): DocumentFaultName | null;
  /** Whether document i was edited at the source (see CorpusOptions.touched). */
  touched(i: number): boolean;
  expectation(i: number): Expectation;
}

export function createCorpus(options: CorpusOptions): Corpus {
  const size = options.docs;
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`docs must be a non-negative integer, got ${size}`);
  const seed = (options.seed ?? 1) >>> 0;
  const rates = normalizeRates(options.faults);
  const tooLargeBytes = options.tooLargeBytes ?? 33_554_433;
  const touchedRate = options.touched ?? 0;
  if (!Number.isFinite(touchedRate) || touchedRate < 0 || touchedRate > 1) {
    throw new RangeError(`touched must be a rate in [0, 1], got ${touchedRate}`);
  }
  let padding: Buffer | undefined; // allocated on first too-large page only

  const check = (i: number): void => {
    if (!Number.isInteger(i) || i < 0 || i >= size) throw new RangeError(`index ${i} outside corpus of ${size}`);
  };
  const id = (i: number): string => (check(i), makeId(seed, i));
  const touched = (i: number): boolean => touchedRate > 0 && unit(seed, i, Salt.touched) < touchedRate;
  const document = (i: number): SimDocument => buildDocument(seed, i, id(i), bodyText(bodyPlan(seed, i)), touched(i));
  const fault = (i: number): DocumentFaultName | null => (check(i), assignFault(seed, rates, i));

  const renderChunks = (i: number): Buffer[] => {
    const f = fault(i);
    const plan = bodyPlan(seed, i);
    const rng = Rng.for(seed, i, Salt.page);
    const variant = faultDetail(seed, i).variant;
    const excerpt = safeSlice(sentenceText(plan.sentences.slice(0, 8)), 200);
    const shell = buildDocument(seed, i, id(i), BODY_SLOT, touched(i));
    let json: string | null;
    let body: Buffer[] | undefined; // spliced in at BODY_SLOT
    if (f === "missing-tag" || f === "bad-json" || f === "bad-shape") {
      // Rare pages: serialise the real body the slow, obvious way.
      const doc = buildDocument(seed, i, id(i), bodyText(plan), touched(i));
      json = f === "missing-tag" ? null : f === "bad-json" ? brokenJson(doc, variant) : embedJson(wrongShape(doc, variant));
    } else {
      // Serialising megabytes of non-ASCII text dominated the cost of a page, so the body's
      // pre-escaped bytes are spliced in where a placeholder string was serialised.
      json = embedJson(shell, rng.chance(0.2)).replace(ESCAPED_SLOT, `"${BODY_SLOT}"`);
      const pieces = sentenceJson(plan.sentences);
      body = plan.repeat === 1 ? pieces : Array<Buffer>(plan.repeat).fill(Buffer.concat(pieces));
    }
    const page = renderPage(rng, shell, excerpt, json, f === "too-large");
    const encode = (s: string): Buffer => {
      const k = body === undefined ? -1 : s.indexOf(BODY_SLOT);
      return k === -1 ? Buffer.from(s) : joinBytes([s.slice(0, k), ...(body as Buffer[]), s.slice(k + 1)]);
    };
    if (f !== "too-large") return [encode(page.before + page.after)];
    const before = encode(page.before);
    const after = encode(page.after);
    const target = tooLargeBytes + 1 + (variant % 4096);
    padding ??= Buffer.alloc(tooLargeBytes + 4097, "x");
    return [before, padding.subarray(0, Math.max(0, target - before.length - after.length)), after];
  };

  return {
    size,
    seed,
    rates,
    tooLargeBytes,
    id,
    indexOf: (x) => parseIndex(seed, size, x),
    idShape: (i) => (check(i), idShape(seed, i).name),
    touchedRate,
    updatedAt: (i) => (check(i), documentTimes(seed, i, touched(i)).updatedAt),
    document,
    render: (i) => Buffer.concat(renderChunks(i)),
    renderChunks,
    fault,
    touched: (i) => (check(i), touched(i)),
    expectation: (i) => {
      const f = fault(i);
      const kind = f === null ? null : FAULTS[f].failure;
      return kind === null ? { outcome: "succeeded" } : { outcome: "failed", kind };
    },
  };
}
