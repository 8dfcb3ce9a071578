import { execFile } from "node:child_process";
import { chownSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { freePort } from "./redis-server.js";
import { waitFor } from "./wait-for.js";

const run = promisify(execFile);
const BIN = "/usr/lib/postgresql/15/bin";

export interface PrivatePostgresOptions {
  /** Password of the superuser `postgres`; with one, every login needs it (scram-sha-256), else trust. */
  password?: string;
}

export interface PrivatePostgres {
  port: number;
  /** A URL of this cluster: database (default `postgres`), user and password as given, else the superuser's. */
  url(database?: string, user?: string, password?: string): string;
  /** `pg_ctl stop -m <mode>`; `immediate` is a crash: no checkpoint, every connection cut. */
  stop(mode?: "immediate" | "fast"): Promise<void>;
  /** Starts the cluster again on the same port; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops the cluster and removes its files. */
  destroy(): Promise<void>;
}

/**
 * A Postgres cluster of this test's own (initdb in a temp dir, on a free
 * port), for tests that must stop and start the database, which the
 * machine's shared Postgres must never do. initdb and postgres refuse to run
 * as root, so as root they run as the `postgres` user.
 */
export async function startPrivatePostgres(options: PrivatePostgresOptions = {}): Promise<PrivatePostgres> {
  const asRoot = userInfo().uid === 0;
  const dir = mkdtempSync(join(tmpdir(), "porter-pg-"));
  const data = join(dir, "data");
  const owner = asRoot ? (await run("id", ["-u", "postgres"])).stdout.trim() : undefined;
  if (owner !== undefined) chownSync(dir, Number(owner), Number(owner));
  const as = (bin: string, args: string[]) =>
    asRoot ? run("runuser", ["-u", "postgres", "--", join(BIN, bin), ...args]) : run(join(BIN, bin), args);

  const initArgs = ["-D", data, "-U", "postgres", "-E", "UTF8", "--no-sync", "--no-instructions"];
  if (options.password !== undefined) {
    const pwfile = join(dir, "pwfile");
    writeFileSync(pwfile, options.password);
    if (owner !== undefined) chownSync(pwfile, Number(owner), Number(owner));
    initArgs.push("--auth=scram-sha-256", `--pwfile=${pwfile}`);
  } else {
    initArgs.push("--auth=trust");
  }
  try {
    await as("initdb", initArgs);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (these tests run a Postgres of their own from ${BIN}): ${(err as Error).message}`);
  }

  let port = 0;
  const url = (database = "postgres", user = "postgres", password = options.password) => {
    const u = new URL(`postgres://127.0.0.1:${port}/${database}`);
    u.username = user;
    if (password !== undefined) u.password = password;
    return u.toString();
  };
  const start = async () => {
    await as("pg_ctl", [
      "-D", data, "-l", join(dir, "log"), "-w", "-t", "30",
      "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`,
      "start",
    ]);
    await waitFor(
      `private postgres on port ${port}`,
      async () => {
        const client = new pg.Client({ connectionString: url() });
        client.on("error", () => {});
        try {
          await client.connect();
          await client.query("SELECT 1");
          return true;
        } finally {
          await client.end().catch(() => {});
        }
      },
      { timeoutMs: 30_000, intervalMs: 50 },
    );
  };
  const stop = async (mode: "immediate" | "fast" = "immediate") => {
    await as("pg_ctl", ["-D", data, "-m", mode, "-w", "stop"]);
  };

  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await start();
      break;
    } catch (err) {
      // The port was taken between freePort() and postgres: try another.
      if (attempt < 3) continue;
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }
  return {
    get port() {
      return port;
    },
    url,
    stop,
    start,
    async destroy() {
      await stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
