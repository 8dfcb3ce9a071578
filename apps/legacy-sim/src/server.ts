import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createCorpus, type Corpus } from "./corpus.js";
import { FAULT_NAMES, faultDetail, FAULTS, type FaultName } from "./faults.js";
import { BadRequest, listPage, parseLimit } from "./listing.js";
import { prerender } from "./prerender.js";

export interface SimOptions {
  docs: number;
  seed?: number;
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** When set, every route but /healthz and /_sim/stats needs `Authorization: Bearer <token>`. */
  token?: string;
  faults?: Partial<Record<FaultName, number>>;
  tooLargeBytes?: number;
  /** Fraction of documents edited at the source since a run (updatedAt one day later); see CorpusOptions. */
  touched?: number;
  /**
   * Render every page into memory before listening, so serving costs no rendering CPU.
   * Costs about 4.4 KB of memory per document on average (big bodies included), measured
   * at ~440 MB and ~7 s of start-up for 100k documents; meant for benchmarks of ≤ 100k.
   */
  prerender?: boolean;
}

export interface SimStats {
  requests: number;
  documents: number;
  listings: number;
  faultsServed: Record<string, number>;
}

export interface LegacySim {
  url: string;
  port: number;
  corpus: Corpus;
  stats(): SimStats;
  close(): Promise<void>;
}

const JSON_TYPE = "application/json; charset=utf-8";
const HTML_TYPE = "text/html; charset=utf-8";

function send(res: ServerResponse, status: number, type: string, chunks: readonly Buffer[], extra: Record<string, string> = {}): void {
  let length = 0;
  for (const c of chunks) length += c.length;
  res.writeHead(status, { "content-type": type, "content-length": length, ...extra });
  // One end(chunk) lets node send headers and body in a single syscall.
  if (chunks.length === 1) return void res.end(chunks[0]);
  for (const c of chunks) res.write(c);
  res.end();
}

function sendJson(res: ServerResponse, status: number, value: unknown, extra?: Record<string, string>): void {
  send(res, status, JSON_TYPE, [Buffer.from(JSON.stringify(value))], extra);
}

const digest = (s: string): Buffer => createHash("sha256").update(s).digest();

export async function startLegacySim(options: SimOptions): Promise<LegacySim> {
  const corpus = createCorpus(options);
  const host = options.host ?? "127.0.0.1";
  const expectedAuth = options.token === undefined ? undefined : digest(`Bearer ${options.token}`);
  const pages = options.prerender ? prerender(corpus) : undefined;
  const attempts = new Map<number, number>(); // requests so far, only for ids with a transient fault
  const timers = new Set<NodeJS.Timeout>();
  const stats: SimStats = { requests: 0, documents: 0, listings: 0, faultsServed: Object.fromEntries(FAULT_NAMES.map((f) => [f, 0])) };
  const served = (f: FaultName): void => {
    stats.faultsServed[f] = (stats.faultsServed[f] ?? 0) + 1;
  };

  const page = (i: number): readonly Buffer[] => pages?.[i] ?? corpus.renderChunks(i);

  const serveDocument = (req: IncomingMessage, res: ServerResponse, segment: string): void => {
    let id: string;
    try {
      id = decodeURIComponent(segment);
    } catch {
      return sendJson(res, 400, { error: "malformed percent-encoding in id" });
    }
    const i = corpus.indexOf(id);
    if (i === undefined) return sendJson(res, 404, { error: "document not found" });
    stats.documents++;
    const fault = corpus.fault(i);
    if (fault === null) return send(res, 200, HTML_TYPE, page(i));
    const detail = faultDetail(corpus.seed, i);

    if (FAULTS[fault].persistence === "transient") {
      const n = (attempts.get(i) ?? 0) + 1;
      attempts.set(i, n);
      if (n > detail.failures) return send(res, 200, HTML_TYPE, page(i));
      served(fault);
      if (fault === "rate-limit") return sendJson(res, 429, { error: "rate limited" }, { "retry-after": "1" });
      if (fault === "server-error") return send(res, detail.status, HTML_TYPE, [Buffer.from(`<html><body><h1>${detail.status}</h1></body></html>`)]);
      if (fault === "reset") return void req.socket.resetAndDestroy();
      return; // hang: never answer; close() destroys the socket
    }

    served(fault);
    if (fault === "not-found") return sendJson(res, 404, { error: "document not found" });
    if (fault !== "slow") return send(res, 200, HTML_TYPE, page(i));
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!res.destroyed) send(res, 200, HTML_TYPE, page(i));
    }, detail.delayMs);
    timers.add(timer);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    stats.requests++;
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    if (req.method !== "GET") return sendJson(res, 405, { error: "method not allowed" }, { allow: "GET" });
    if (path === "/healthz") return sendJson(res, 200, { ok: true });
    if (path === "/_sim/stats") return sendJson(res, 200, stats);
    if (expectedAuth !== undefined && !timingSafeEqual(digest(req.headers.authorization ?? ""), expectedAuth)) {
      return sendJson(res, 401, { error: "unauthorized" }, { "www-authenticate": "Bearer" });
    }
    if (path === "/documents") {
      stats.listings++;
      try {
        const params = new URLSearchParams(q === -1 ? "" : url.slice(q + 1));
        return sendJson(res, 200, listPage(corpus, params.get("cursor"), parseLimit(params.get("limit")), served));
      } catch (error) {
        if (error instanceof BadRequest) return sendJson(res, 400, { error: error.message });
        throw error;
      }
    }
    if (path.startsWith("/documents/")) {
      const segment = path.slice("/documents/".length);
      // The id is exactly one segment: a raw "/" means a client forgot to encode it.
      if (segment !== "" && !segment.includes("/")) return serveDocument(req, res, segment);
    }
    return sendJson(res, 404, { error: "not found" });
  };

  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    try {
      handle(req, res);
    } catch (error) {
      if (!res.headersSent) sendJson(res, 500, { error: String(error) });
      else res.destroy();
    }
  });
  server.headersTimeout = 66_000; // must exceed keepAliveTimeout, or idle sockets race it
  server.on("clientError", (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    corpus,
    stats: () => structuredClone(stats),
    close: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections(); // hanging and keep-alive sockets would hold close() open
      await closed;
    },
  };
}
