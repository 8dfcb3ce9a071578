import type { Transform } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate, createInflateRaw } from "node:zlib";

/** Sent with every request: the codings Node's zlib decodes. */
export const ACCEPT_ENCODING = "gzip, deflate, br";

export type Coding = "gzip" | "deflate" | "br";

const CODINGS = new Map<string, Coding>([
  ["gzip", "gzip"],
  // RFC 9110 §8.4.1.3: a recipient should read x-gzip as gzip.
  ["x-gzip", "gzip"],
  ["deflate", "deflate"],
  ["br", "br"],
]);

export interface ContentEncoding {
  /** The codings in the order the server applied them, `identity` left out. */
  codings: Coding[];
  /** The first coding Porter cannot decode, as the server wrote it. */
  unknown: string | undefined;
}

/** Reads a Content-Encoding header: a comma-separated list, case-insensitive (RFC 9110 §8.4). */
export function parseContentEncoding(header: string | string[] | undefined): ContentEncoding {
  const codings: Coding[] = [];
  if (header === undefined) return { codings, unknown: undefined };
  for (const item of (Array.isArray(header) ? header.join(",") : header).split(",")) {
    const name = item.trim();
    const lower = name.toLowerCase();
    if (lower === "" || lower === "identity") continue;
    const coding = CODINGS.get(lower);
    if (coding === undefined) return { codings, unknown: name };
    codings.push(coding);
  }
  return { codings, unknown: undefined };
}

/** Output chunks of 64 KiB rather than zlib's 16: a quarter of the chunks to count and join. */
const CHUNK_SIZE = 64 * 1024;

/**
 * A streaming decoder for one coding. `first`, the first bytes of its input when known,
 * tells a zlib-wrapped `deflate` (what RFC 9110 means) from raw deflate, which some servers
 * send under the same name.
 */
export function createDecoder(coding: Coding, first?: Buffer): Transform {
  switch (coding) {
    case "gzip":
      return createGunzip({ chunkSize: CHUNK_SIZE });
    case "br":
      return createBrotliDecompress({ chunkSize: CHUNK_SIZE });
    case "deflate":
      return first === undefined || isZlibHeader(first) ? createInflate({ chunkSize: CHUNK_SIZE }) : createInflateRaw({ chunkSize: CHUNK_SIZE });
  }
}

/** RFC 1950 §2.2: method 8 (deflate), a window of at most 32 KiB, and CMF·256 + FLG a multiple of 31. */
function isZlibHeader(bytes: Buffer): boolean {
  const cmf = bytes[0];
  const flg = bytes[1];
  if (cmf === undefined) return true;
  if ((cmf & 0x0f) !== 8 || cmf >> 4 > 7) return false;
  return flg === undefined || ((cmf << 8) | flg) % 31 === 0;
}
