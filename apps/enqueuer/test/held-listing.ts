import { createServer } from "node:http";
import { serveLocally } from "@porter/testing";

export interface HeldListing {
  url: string;
  /** Every id the listing serves, in order. */
  ids: string[];
  /** Cursors requested so far (null: the first page). */
  requested: (string | null)[];
  /** Answers the held page. */
  release(): void;
  close(): Promise<void>;
}

/**
 * A legacy listing of `pages` pages of `perPage` ids (cursors p1, p2, …) that
 * holds its answer to the page `holdAt` until the test calls `release()`: the
 * test takes a store away while the enqueuer is known to be mid-listing.
 */
export async function startHeldListing(pages: number, perPage: number, holdAt: string): Promise<HeldListing> {
  const ids = Array.from({ length: pages * perPage }, (_, i) => `doc-${String(i).padStart(4, "0")}`);
  const requested: (string | null)[] = [];
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  const server = createServer((req, res) => {
    const cursor = new URL(req.url ?? "/", "http://x").searchParams.get("cursor");
    requested.push(cursor);
    const n = cursor === null ? 0 : Number(cursor.slice(1));
    const answer = () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          documents: ids.slice(n * perPage, (n + 1) * perPage).map((id) => ({ id, updatedAt: "2024-01-01T00:00:00Z" })),
          nextCursor: n + 1 < pages ? `p${n + 1}` : null,
        }),
      );
    };
    if (cursor === holdAt) void held.then(answer);
    else answer();
  });
  const local = await serveLocally(server);
  return {
    url: local.url,
    ids,
    requested,
    release: () => release(),
    close: local.close,
  };
}
