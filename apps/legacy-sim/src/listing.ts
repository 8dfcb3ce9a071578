import type { Corpus } from "./corpus.js";
import { hash32, Salt, unit } from "./prng.js";

export interface ListingPage {
  documents: { id: string; updatedAt: string }[];
  nextCursor: string | null;
}

export class BadRequest extends Error {}

export const MAX_LIMIT = 1000;
export const DEFAULT_LIMIT = 100;
/** A duplicated id reappears at most this many positions after its first listing. */
const MAX_LAG = 2000;

// The listing is the sequence: for each k in order, k itself then the duplicates that land
// on k. A cursor names a position (k, sub) in it, plus whether an empty page was just served
// there, so an empty page never repeats and the listing always moves forward.
interface Position {
  k: number;
  sub: number;
  emptied: boolean;
}

function encode(p: Position): string {
  return Buffer.from(`v1.${p.k}.${p.sub}.${p.emptied ? 1 : 0}`).toString("base64url");
}

function decode(cursor: string, size: number): Position {
  const text = Buffer.from(cursor, "base64url").toString("latin1");
  const m = /^v1\.(\d{1,16})\.(\d{1,6})\.([01])$/.exec(text);
  const p = m && { k: Number(m[1]), sub: Number(m[2]), emptied: m[3] === "1" };
  if (!p || p.k >= size || encode(p) !== cursor) throw new BadRequest("invalid cursor");
  return p;
}

export function parseLimit(raw: string | null): number {
  if (raw === null) return DEFAULT_LIMIT;
  if (!/^\d{1,7}$/.test(raw)) throw new BadRequest("limit must be a positive integer");
  const limit = Number(raw);
  if (limit < 1 || limit > MAX_LIMIT) throw new BadRequest(`limit must be between 1 and ${MAX_LIMIT}`);
  return limit;
}

/** Where the duplicate of j is listed again (≥ j: 0 lag means right after itself), or -1. */
function duplicateTarget(corpus: Corpus, j: number): number {
  if (unit(corpus.seed, j, Salt.duplicate) >= corpus.rates.duplicate) return -1;
  const h = hash32(corpus.seed, j, Salt.duplicate + 0x100);
  const lag = h % 3 === 0 ? 0 : 1 + ((h >>> 2) % MAX_LAG);
  return Math.min(j + lag, corpus.size - 1);
}

export function listPage(corpus: Corpus, cursor: string | null, limit: number, onFault: (name: "duplicate" | "empty-page") => void): ListingPage {
  const start = cursor === null ? { k: 0, sub: 0, emptied: false } : decode(cursor, corpus.size);
  if (start.k >= corpus.size) return { documents: [], nextCursor: null };

  const emptySalt = (Salt.emptyPage + start.sub * 0x10000) >>> 0;
  if (!start.emptied && unit(corpus.seed, start.k, emptySalt) < corpus.rates["empty-page"]) {
    onFault("empty-page");
    return { documents: [], nextCursor: encode({ ...start, emptied: true }) };
  }

  // At most `limit` distinct k are visited; their duplicates come from [k - MAX_LAG, k].
  const last = Math.min(corpus.size, start.k + limit) - 1;
  const landing = new Map<number, number[]>();
  if (corpus.rates.duplicate > 0) {
    for (let j = Math.max(0, start.k - MAX_LAG); j <= last; j++) {
      const t = duplicateTarget(corpus, j);
      if (t >= start.k && t <= last) landing.set(t, [...(landing.get(t) ?? []), j]);
    }
  }

  const documents: ListingPage["documents"] = [];
  let { k, sub } = start;
  if (sub > (landing.get(k)?.length ?? 0)) throw new BadRequest("invalid cursor");
  while (documents.length < limit && k < corpus.size) {
    const extra = landing.get(k) ?? [];
    for (; sub <= extra.length && documents.length < limit; sub++) {
      const i = sub === 0 ? k : (extra[sub - 1] as number);
      if (sub > 0) onFault("duplicate");
      documents.push({ id: corpus.id(i), updatedAt: corpus.updatedAt(i) });
    }
    if (sub > extra.length) {
      k++;
      sub = 0;
    }
  }
  return { documents, nextCursor: k < corpus.size ? encode({ k, sub, emptied: false }) : null };
}
