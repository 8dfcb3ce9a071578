import { createServer } from "node:http";
import { serveLocally } from "@porter/testing";

export interface ListingPage {
  ids: string[];
  nextCursor: string | null;
  /** Each id's `updatedAt` as sent (any JSON value; `undefined` leaves the field out); default a fixed timestamp. */
  updatedAt?: unknown[];
}

/** The page served for a cursor ("" for the first page); undefined answers 400. */
export type ListingPages = Map<string, ListingPage> | ((cursor: string) => ListingPage | undefined);

export interface ListingServer {
  url: string;
  /** The pages by cursor; the first page is under "" (no cursor). */
  pages: ListingPages;
  /** Every listing request as [cursor or null, limit]. */
  requests: [string | null, number][];
  close(): Promise<void>;
}

/**
 * The legacy listing contract: `GET /documents?limit=N[&cursor=C]` →
 * `{"documents":[{"id","updatedAt"}],"nextCursor"}`. Pages are served as given
 * (a page may hold fewer or more ids than `limit`, or none).
 */
export async function startListingServer(pages: ListingPages): Promise<ListingServer> {
  const pageFor = typeof pages === "function" ? pages : (cursor: string) => pages.get(cursor);
  const requests: [string | null, number][] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname !== "/documents") {
      res.writeHead(404).end();
      return;
    }
    const cursor = url.searchParams.get("cursor");
    requests.push([cursor, Number(url.searchParams.get("limit"))]);
    const page = pageFor(cursor ?? "");
    if (!page) {
      res.writeHead(400, { "content-type": "text/plain" }).end(`unknown cursor ${cursor}`);
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        documents: page.ids.map((id, i) => ({ id, updatedAt: page.updatedAt ? page.updatedAt[i] : "2024-01-01T00:00:00Z" })),
        nextCursor: page.nextCursor,
      }),
    );
  });
  const local = await serveLocally(server);
  return {
    url: local.url,
    pages,
    requests,
    close: local.close,
  };
}
