import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { embedJson, serveLocally } from "@porter/testing";

/** What the fake legacy service does for one document id on one request (1-based). */
export type Reply = (res: ServerResponse, request: number) => void;

export interface LegacyServer {
  url: string;
  /** Replies by document id; an id without one answers 404. */
  replies: Map<string, Reply>;
  /** When each id was requested (Date.now()), in order. */
  requests: Map<string, number[]>;
  close(): Promise<void>;
}

/** A legacy HTML page with the document embedded as the contract says (`</` written `<\/`). */
export function pageFor(doc: unknown): string {
  return [
    "<!doctype html><html><head><title>legacy</title>",
    '<script>window.analytics = "<script id=\\"document-data\\">";</script>',
    "</head><body><h1>Document</h1>",
    `<script type='application/json'   id="document-data">${embedJson(doc)}</script>`,
    "</body></html>",
  ].join("\n");
}

export const ok =
  (doc: unknown): Reply =>
  (res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(pageFor(doc));
  };

export const status =
  (code: number, headers: Record<string, string> = {}): Reply =>
  (res) => {
    res.writeHead(code, { "content-type": "text/plain", ...headers });
    res.end(`status ${code}`);
  };

/** Never answers (the socket is closed when the server closes). */
export const hang: Reply = () => {};

/** A different reply per request number, the last one repeating. */
export function sequence(...replies: Reply[]): Reply {
  return (res, n) => {
    const reply = replies[Math.min(n, replies.length) - 1];
    if (reply) reply(res, n);
  };
}

export async function startLegacyServer(): Promise<LegacyServer> {
  const replies = new Map<string, Reply>();
  const requests = new Map<string, number[]>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const match = /^\/documents\/([^/?]+)$/.exec(req.url ?? "");
    if (!match || req.method !== "GET") {
      res.writeHead(400).end();
      return;
    }
    const id = decodeURIComponent(match[1] as string);
    const times = requests.get(id) ?? [];
    times.push(Date.now());
    requests.set(id, times);
    const reply = replies.get(id);
    if (reply) reply(res, times.length);
    else status(404)(res, times.length);
  });
  const local = await serveLocally(server);
  return {
    url: local.url,
    replies,
    requests,
    close: local.close,
  };
}
