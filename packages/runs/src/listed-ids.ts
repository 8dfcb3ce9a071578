import type { InvalidListedId } from "@porter/db";
import { idProblem, quoteShort, type ListedDocument } from "@porter/source";

/** The page's distinct ids, in listing order, with why each invalid one cannot be migrated. */
export function toListedIds(documents: readonly ListedDocument[]): (string | InvalidListedId)[] {
  const out: (string | InvalidListedId)[] = [];
  const seen = new Set<string>();
  for (const { id } of documents) {
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(toListedId(id));
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
