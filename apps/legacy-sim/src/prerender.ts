import type { Corpus } from "./corpus.js";

const SLAB_BYTES = 16 * 1024 * 1024;

/**
 * Every page rendered up front, packed into 16 MB slabs: rendering leaves its pages scattered
 * through node's buffer pool among garbage, which doubled the resident memory. Pieces over a
 * quarter slab (big bodies, too-large padding) are kept as they are.
 */
export function prerender(corpus: Corpus): Buffer[][] {
  let slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
  let used = 0;
  const pack = (chunk: Buffer): Buffer => {
    if (chunk.length > SLAB_BYTES / 4) return chunk;
    if (used + chunk.length > SLAB_BYTES) {
      slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
      used = 0;
    }
    chunk.copy(slab, used);
    used += chunk.length;
    return slab.subarray(used - chunk.length, used);
  };
  const pages: Buffer[][] = new Array(corpus.size);
  for (let i = 0; i < corpus.size; i++) pages[i] = corpus.renderChunks(i).map(pack);
  return pages;
}
