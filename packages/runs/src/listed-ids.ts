import type { InvalidListedId, ListedEntry } from "@porter/db";
import { idProblem, isStorableText, isValidTimestamp, quoteShort, type ListedDocument } from "@porter/source";

/**
 * The page's distinct ids, in listing order, each with the listing's
 * updatedAt for it (the first one listed), and why each invalid one cannot be migrated.
 */
export function toListedIds(documents: readonly ListedDocument[]): ListedEntry[] {
  const out: ListedEntry[] = [];
  const seen = new Set<string>();
  for (const { id, updatedAt } of documents) {
    if (seen.has(id)) continue;
    seen.add(id);
    const listed = toListedId(id);
    // Kept as text whatever it says (the enqueuer reports odd ones), unless Postgres text cannot hold it.
    const stamp = typeof updatedAt === "string" && isStorableText(updatedAt) ? updatedAt : null;
    out.push(
      typeof listed === "string"
        ? { id, updatedAt: stamp, comparable: stamp !== null && isValidTimestamp(stamp) }
        : { ...listed, updatedAt: stamp },
    );
  }
  return out;
}

/** A listed id as the ledger takes it: the id itself, or why it cannot be migrated. */
export function toListedId(id: string): string | InvalidListedId {
  const problem = idProblem(id);
  return problem === undefined ? id : { id, problem: `listed id ${shown(id)} cannot be migrated: ${problem}` };
}

/** The id escaped, and cut short when long: the ledger row holds all of it. */
function shown(id: string): string {
  return id.length > 200 ? `${quoteShort(id, 200)} (${id.length} UTF-16 units)` : quoteShort(id, 200);
}
