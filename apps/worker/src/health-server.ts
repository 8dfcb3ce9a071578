import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { HEALTH_CHECK_TIMEOUT_MS } from "./tuning.js";

/** A readiness probe: resolves when the dependency answers, throws when it does not. */
export type ReadinessCheck = () => Promise<unknown>;

export interface HealthServerOptions {
  /** 0: any free port (read it back from `port`). */
  port: number;
  /** Address to listen on; unset: every interface (what a container needs). */
  host?: string;
  registry: Registry;
  /** What /readyz asks, by name (e.g. redis, postgres). */
  checks: Record<string, ReadinessCheck>;
  /** Longest a check may take before it counts as failed; default HEALTH_CHECK_TIMEOUT_MS. */
  checkTimeoutMs?: number;
}

export interface HealthServer {
  /** The port it listens on. */
  port: number;
  /** From now on /readyz answers 503 "stopping": a draining worker takes no traffic. */
  setStopping(): void;
  close(): Promise<void>;
}

type CheckResult = { ok: true; ms: number } | { ok: false; ms: number; error: string };

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const ms = () => Math.round(performance.now() - started);
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, ms: ms() };
  } catch (err) {
    // Error messages of pg and ioredis name host and port, never a password.
    const error = err instanceof Error ? err.message || err.name : String(err);
    return { ok: false, ms: ms(), error };
  } finally {
    clearTimeout(timer);
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { "content-type": contentType, "cache-control": "no-store" });
  res.end(body);
}

const json = (res: ServerResponse, status: number, body: unknown) =>
  send(res, status, "application/json; charset=utf-8", `${JSON.stringify(body)}\n`);

/**
 * The worker's HTTP side, on node:http:
 * - `GET /healthz`: 200 while the process runs (liveness);
 * - `GET /readyz`: 200 when every check answers within the timeout, else 503;
 *   the JSON body says which failed and why; 503 "stopping" once SIGTERM came;
 * - `GET /metrics`: the Prometheus text format.
 */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const checkTimeoutMs = options.checkTimeoutMs ?? HEALTH_CHECK_TIMEOUT_MS;
  let stopping = false;

  async function readyz(res: ServerResponse): Promise<void> {
    if (stopping) return json(res, 503, { status: "stopping" });
    const names = Object.keys(options.checks);
    const results = await Promise.all(names.map((name) => runCheck(options.checks[name] as ReadinessCheck, checkTimeoutMs)));
    const checks = Object.fromEntries(names.map((name, i) => [name, results[i]]));
    const ready = results.every((r) => r.ok);
    json(res, ready ? 200 : 503, { status: ready ? "ready" : "unready", checks });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "GET" && req.method !== "HEAD") return json(res, 405, { error: "method not allowed" });
    const path = (req.url ?? "/").split("?")[0];
    switch (path) {
      case "/healthz":
        return json(res, 200, { status: "ok" });
      case "/readyz":
        return readyz(res);
      case "/metrics":
        return send(res, 200, options.registry.contentType, await options.registry.metrics());
      default:
        return json(res, 404, { error: "not found", paths: ["/healthz", "/readyz", "/metrics"] });
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { error: err instanceof Error ? err.message : String(err) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });

  return {
    port: (server.address() as AddressInfo).port,
    setStopping() {
      stopping = true;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Prometheus keeps its connection alive: do not wait for it to go.
        server.closeAllConnections();
      });
    },
  };
}
