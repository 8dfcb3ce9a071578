import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { serveLocally } from "@porter/testing";
import { pageText, type BodyReservation, type Source } from "../src/index.js";

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A real HTTP server on an ephemeral port; the handler can be swapped per test. */
export interface TestServer {
  url: string;
  handler: Handler;
  /** Sockets accepted so far. */
  connections: number;
  requests: IncomingMessage[];
  close(): Promise<void>;
}

export async function startServer(): Promise<TestServer> {
  const state = {
    handler: ((_req, res) => {
      res.statusCode = 500;
      res.end("no handler");
    }) as Handler,
    connections: 0,
    requests: [] as IncomingMessage[],
  };
  const server: Server = createServer((req, res) => {
    state.requests.push(req);
    state.handler(req, res);
  });
  server.on("connection", () => {
    state.connections++;
  });
  const local = await serveLocally(server);
  return {
    url: local.url,
    get handler() {
      return state.handler;
    },
    set handler(h: Handler) {
      state.handler = h;
    },
    get connections() {
      return state.connections;
    },
    set connections(n: number) {
      state.connections = n;
    },
    get requests() {
      return state.requests;
    },
    close: local.close,
  };
}

/** A page fetched and made text, as the worker's extract step starts: what most tests here compare. */
export async function fetchText(
  source: Source,
  id: string,
  signal: AbortSignal,
  reservation?: BodyReservation,
): Promise<string> {
  return pageText(await source.fetchPage(id, signal, reservation), id);
}
