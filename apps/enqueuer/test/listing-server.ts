import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface ListingPage {
  ids: string[];
  nextCursor: string | null;
}

export interface ListingServer {
  url: string;
  /** The pages by cursor; the first page is under "" (no cursor). */
  pages: Map<string, ListingPage>;
  /** Every listing request as [cursor or null, limit]. */
  requests: [string | null, number][];
  close(): Promise<void>;
}

/**
 * The legacy listing contract: `GET /documents?limit=N[&cursor=C]` →
 * `{"documents":[{"id","updatedAt"}],"nextCursor"}`. Pages are served as given
 * (a page may hold fewer or more ids than `limit`, or none).
 */
export async function startListingServer(pages: Map<string, ListingPage>): Promise<ListingServer> {
  const requests: [string | null, number][] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname !== "/documents") {
      res.writeHead(404).end();
      return;
    }
    const cursor = url.searchParams.get("cursor");
    requests.push([cursor, Number(url.searchParams.get("limit"))]);
    const page = pages.get(cursor ?? "");
    if (!page) {
      res.writeHead(400, { "content-type": "text/plain" }).end(`unknown cursor ${cursor}`);
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        documents: page.ids.map((id) => ({ id, updatedAt: "2024-01-01T00:00:00Z" })),
        nextCursor: page.nextCursor,
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    pages,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
