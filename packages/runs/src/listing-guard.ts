import { createHash } from "node:crypto";
import { isStorableText, quoteShort } from "@porter/source";

/** A listing that cannot be trusted to end: the reason is written on the run and logged. */
export class ListingStopped extends Error {
  override readonly name = "ListingStopped";
}

/**
 * Watches one pass through a listing for the two ways it can go on for ever:
 * a cursor that comes back (A → B → A), and pages that bring nothing new for
 * longer than `idleTimeoutMs` of listing time (time spent waiting for the
 * queue to drain is not counted). Cursors are kept as digests, so memory is
 * 32 bytes per page whatever the cursors hold.
 */
export class ListingGuard {
  private readonly seen = new Set<string>();
  private idleMs = 0;

  constructor(
    private readonly idleTimeoutMs: number,
    start: string | null,
  ) {
    if (start !== null) this.seen.add(digest(start));
  }

  /**
   * After a page that took `elapsedMs` to read and record and brought `fresh` new ids.
   * @throws ListingStopped when the listing has made no progress for too long
   */
  page(fresh: number, elapsedMs: number): void {
    if (fresh > 0) {
      this.idleMs = 0;
      return;
    }
    this.idleMs += elapsedMs;
    if (this.idleMs > this.idleTimeoutMs) {
      throw new ListingStopped(
        `the listing brought no new document for ${Math.round(this.idleMs / 1000)} s of listing (LIST_IDLE_TIMEOUT_MS is ${this.idleTimeoutMs})`,
      );
    }
  }

  /** Whether follow(next) would go on, without recording it: what a read-ahead asks before it reads `next`. */
  accepts(next: string): boolean {
    return isStorableText(next) && !this.seen.has(digest(next));
  }

  /**
   * Before following `next`.
   * @throws ListingStopped when this pass has listed from `next` before, or
   * `next` holds what no checkpoint (Postgres text) or URL can carry
   */
  follow(next: string): void {
    if (!isStorableText(next)) {
      throw new ListingStopped(`the listing's next cursor ${quoteShort(next, 80)} holds NUL or a lone surrogate: it cannot be saved as a checkpoint nor sent back`);
    }
    const key = digest(next);
    if (this.seen.has(key)) {
      throw new ListingStopped(`the listing's next cursor ${quoteShort(next, 80)} was listed from before in this run: it would list the same pages again, for ever`);
    }
    this.seen.add(key);
  }
}

function digest(cursor: string): string {
  return createHash("sha256").update(cursor, "utf16le").digest("base64");
}
