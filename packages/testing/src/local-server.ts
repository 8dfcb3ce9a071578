import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

/** An HTTP server of a test, listening on an ephemeral port of 127.0.0.1. */
export interface LocalServer {
  url: string;
  /** Drops every open connection (a reply that never comes too) and resolves once the server is closed. */
  close(): Promise<void>;
}

/** Starts `server` on a free port of 127.0.0.1: the fake services of tests, whatever they answer. */
export async function serveLocally(server: Server): Promise<LocalServer> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
