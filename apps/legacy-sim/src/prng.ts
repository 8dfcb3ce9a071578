// Every value in the corpus is a pure function of (seed, index, salt), so nothing is stored
// and any document can be rebuilt on demand in any order.

/** A 32-bit hash of three integers (murmur3 finaliser over a simple combination). */
export function hash32(seed: number, i: number, salt: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (i >>> 0), 0x85ebca6b);
  h = Math.imul(h ^ Math.floor(i / 0x1_0000_0000), 0xc2b2ae35);
  h = Math.imul(h ^ (salt >>> 0) ^ (h >>> 13), 0x27d4eb2f);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A uniform number in [0, 1) for (seed, i, salt). */
export function unit(seed: number, i: number, salt: number): number {
  return hash32(seed, i, salt) / 0x1_0000_0000;
}

/** A small seeded generator (mulberry32) with helpers. */
export class Rng {
  private state: number;

  constructor(state: number) {
    this.state = state >>> 0;
  }

  static for(seed: number, i: number, salt: number): Rng {
    return new Rng(hash32(seed, i, salt));
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), 1 | t);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  }

  /** Integer in [min, max] (inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** Salts name the independent streams, so adding a field never shifts another. */
export const Salt = {
  idShape: 1,
  title: 2,
  body: 3,
  bigBody: 4,
  tags: 5,
  author: 6,
  times: 7,
  attachments: 8,
  page: 9,
  fault: 10,
  faultDetail: 11,
  duplicate: 12,
  emptyPage: 13,
  touched: 14,
} as const;
