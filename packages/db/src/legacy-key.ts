import { hash } from "node:crypto";

/**
 * The key that makes a legacy id unique in the ledger and the target: the
 * SHA-256 of its UTF-8, 32 bytes whatever the id's length (a btree entry
 * holds at most 2,704 bytes, and ids can be longer). The same in SQL:
 * `sha256(convert_to(legacy_id, 'UTF8'))`, which is how the loader keys
 * `documents`.
 */
export function legacyKey(legacyId: string): Buffer {
  // The one-shot hash: a third cheaper than createHash for a short id, and it runs once per listed id and per load.
  return hash("sha256", legacyId, "buffer");
}

// 0xFF never occurs in UTF-8, so no escaped id's key can equal a stored id's.
const ESCAPED_TAG = Buffer.from([0xff]);

/**
 * The key of an id stored escaped because Postgres text cannot hold it as
 * listed (NUL, a lone surrogate) or it cannot be migrated (empty): the
 * SHA-256 of a tag byte and its exact UTF-16 code units, which UTF-8 would
 * lose for a lone surrogate.
 */
export function escapedLegacyKey(legacyId: string): Buffer {
  return hash("sha256", Buffer.concat([ESCAPED_TAG, Buffer.from(legacyId, "utf16le")]), "buffer");
}

/** How an id that cannot be stored as listed is shown and stored: as a JSON string literal, always storable text. */
export function escapeLegacyId(legacyId: string): string {
  return JSON.stringify(legacyId);
}
