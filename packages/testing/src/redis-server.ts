import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { Redis } from "ioredis";
import { waitFor } from "./wait-for.js";

/** A TCP port on 127.0.0.1 that nothing listened on a moment ago (for a server to take, or to stay closed). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface PrivateRedis {
  url: string;
  port: number;
  /** Stops the server: SIGTERM by default, SIGKILL for a crash. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * A redis-server of this test's own (the machine's binary), on a free port,
 * keeping nothing on disk, for settings the shared Redis must not change,
 * e.g. `["--maxmemory-policy", "allkeys-lru"]` or `["--rename-command", "CONFIG", ""]`.
 */
export async function startPrivateRedis(args: string[] = [], options: { port?: number } = {}): Promise<PrivateRedis> {
  for (let attempt = 1; ; attempt++) {
    // A given port: a Redis started again where a stopped one was (a restart).
    const port = options.port ?? (await freePort());
    const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout?.setEncoding("utf8").on("data", (s: string) => (output += s));
    child.stderr?.setEncoding("utf8").on("data", (s: string) => (output += s));
    const spawned = await Promise.race([once(child, "spawn").then(() => true), once(child, "error").then(() => false)]);
    if (!spawned) throw new Error("redis-server is not installed: these tests start a Redis of their own");
    const url = `redis://127.0.0.1:${port}`;
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on("error", () => {}); // refused until the server listens
    try {
      await waitFor(
        `redis-server on port ${port}`,
        async () => {
          if (child.exitCode !== null) throw new Error(`redis-server exited: ${output}`);
          if (probe.status === "wait" || probe.status === "end") await probe.connect().catch(() => {});
          return (await probe.ping()) === "PONG";
        },
        { timeoutMs: 10_000, intervalMs: 50 },
      );
    } catch (err) {
      child.kill("SIGKILL");
      // The port was taken between freePort() and redis-server: try another.
      if (attempt < 3 && child.exitCode !== null && options.port === undefined) continue;
      throw err;
    } finally {
      probe.disconnect();
    }
    return {
      url,
      port,
      async stop(signal: NodeJS.Signals = "SIGTERM") {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, "exit");
        child.kill(signal);
        await exited;
      },
    };
  }
}
