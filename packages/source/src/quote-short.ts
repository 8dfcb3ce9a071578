/**
 * A listed value (an id, a cursor) quoted for a message: JSON-escaped, so NUL and lone
 * surrogates show, and cut to its first `max` UTF-16 units with "…" when longer, since
 * ids and cursors can be tens of KB.
 */
export function quoteShort(value: string, max: number): string {
  return value.length > max ? `${JSON.stringify(value.slice(0, max))}…` : JSON.stringify(value);
}
