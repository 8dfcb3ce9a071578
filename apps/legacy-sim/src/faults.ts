import { hash32, Salt, unit } from "./prng.js";

export type FailureKind = "not_found" | "no_embedded_json" | "invalid_json" | "invalid_document" | "too_large";

export interface FaultSpec {
  /** Kebab-case name; the CLI registers `--<flag> <rate>`. */
  readonly flag: string;
  readonly description: string;
  /** transient: only the first 1–2 requests of an id; permanent: every request. */
  readonly persistence: "transient" | "permanent";
  /** document faults are assigned one per id; listing faults shape the listing. */
  readonly scope: "document" | "listing";
  /** What a correct client must record for the id, or null if it must succeed. */
  readonly failure: FailureKind | null;
}

export const FAULTS = {
  "rate-limit": { flag: "rate-limit", description: "429 with Retry-After: 1 on the first 1–2 requests of an id", persistence: "transient", scope: "document", failure: null },
  "server-error": { flag: "server-error", description: "500/502/503 on the first 1–2 requests of an id", persistence: "transient", scope: "document", failure: null },
  reset: { flag: "reset", description: "connection reset without an answer on the first 1–2 requests of an id", persistence: "transient", scope: "document", failure: null },
  hang: { flag: "hang", description: "no answer at all on the first 1–2 requests of an id (socket left open)", persistence: "transient", scope: "document", failure: null },
  slow: { flag: "slow", description: "answer after 200–1000 ms, every time", persistence: "permanent", scope: "document", failure: null },
  "not-found": { flag: "not-found", description: "404 for a listed id", persistence: "permanent", scope: "document", failure: "not_found" },
  "missing-tag": { flag: "missing-tag", description: "page without the document-data script", persistence: "permanent", scope: "document", failure: "no_embedded_json" },
  "bad-json": { flag: "bad-json", description: "document-data script holds broken JSON", persistence: "permanent", scope: "document", failure: "invalid_json" },
  "bad-shape": { flag: "bad-shape", description: "document-data script holds valid JSON of the wrong shape", persistence: "permanent", scope: "document", failure: "invalid_document" },
  "too-large": { flag: "too-large", description: "page larger than tooLargeBytes (HTML comment padding)", persistence: "permanent", scope: "document", failure: "too_large" },
  duplicate: { flag: "duplicate", description: "ids listed a second time (same page or a later one)", persistence: "permanent", scope: "listing", failure: null },
  "empty-page": { flag: "empty-page", description: "pages returned empty while nextCursor is not null", persistence: "permanent", scope: "listing", failure: null },
} as const satisfies Record<string, FaultSpec>;

export type FaultName = keyof typeof FAULTS;
export type DocumentFaultName = { [K in FaultName]: (typeof FAULTS)[K]["scope"] extends "document" ? K : never }[FaultName];
export type FaultRates = Readonly<Record<FaultName, number>>;

export const FAULT_NAMES = Object.keys(FAULTS) as FaultName[];
const DOCUMENT_FAULTS = FAULT_NAMES.filter((f) => FAULTS[f].scope === "document") as DocumentFaultName[];

/** Fills defaults and rejects unknown names, rates outside [0,1] and document rates summing above 1. */
export function normalizeRates(faults: Partial<Record<string, number>> = {}): FaultRates {
  const rates = Object.fromEntries(FAULT_NAMES.map((f) => [f, 0])) as Record<FaultName, number>;
  for (const [name, rate] of Object.entries(faults)) {
    if (!(name in FAULTS)) throw new RangeError(`unknown fault "${name}" (known: ${FAULT_NAMES.join(", ")})`);
    if (rate === undefined) continue;
    if (!Number.isFinite(rate) || rate < 0 || rate > 1) throw new RangeError(`fault rate for "${name}" must be in [0, 1], got ${rate}`);
    rates[name as FaultName] = rate;
  }
  const total = DOCUMENT_FAULTS.reduce((sum, f) => sum + rates[f], 0);
  if (total > 1 + 1e-9) throw new RangeError(`document fault rates sum to ${total}; each id gets at most one fault, so keep the sum ≤ 1`);
  return rates;
}

/** The one document fault of id i, or null: one uniform draw walked through cumulative rates. */
export function assignFault(seed: number, rates: FaultRates, i: number): DocumentFaultName | null {
  const u = unit(seed, i, Salt.fault);
  let cumulative = 0;
  for (const f of DOCUMENT_FAULTS) {
    cumulative += rates[f];
    if (u < cumulative) return f;
  }
  return null;
}

/** Per-id detail of a fault (how many failing requests, which status, how slow). */
export function faultDetail(seed: number, i: number): { failures: 1 | 2; status: 500 | 502 | 503; delayMs: number; variant: number } {
  const h = hash32(seed, i, Salt.faultDetail);
  return {
    failures: (h & 1) === 0 ? 1 : 2,
    status: ([500, 502, 503] as const)[(h >>> 1) % 3] ?? 500,
    delayMs: 200 + ((h >>> 3) % 801),
    variant: h >>> 13,
  };
}
