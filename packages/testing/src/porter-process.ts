import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

const PORTER = fileURLToPath(new URL("../../../apps/cli/bin/porter.js", import.meta.url));

export interface PorterProcess {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  exited: Promise<number | string>;
  /** Sends a signal and waits for the exit; SIGKILL after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | string>;
}

export interface SpawnOptions {
  /** Flags for Node itself, before the script (the bench's `--cpu-prof`). */
  nodeArgs?: string[];
}

/** Starts `porter <args>` as a real process with `env` on top of this one's. */
export function spawnPorter(
  args: string[],
  env: Record<string, string | undefined> = {},
  options: SpawnOptions = {},
): PorterProcess {
  return spawnNode(PORTER, args, env, options);
}

/** Starts the Node script `script` with `args` as a real process (the bench's baseline is one). */
export function spawnNode(
  script: string,
  args: string[],
  env: Record<string, string | undefined> = {},
  options: SpawnOptions = {},
): PorterProcess {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), script, ...args], {
    env: { ...process.env, LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (s: string) => (out += s));
  child.stderr?.setEncoding("utf8").on("data", (s: string) => (err += s));
  const exited = once(child, "close").then(([code, signal]) => (code ?? signal) as number | string);
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop(signal = "SIGTERM", graceMs = 20_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        try {
          return await exited;
        } finally {
          clearTimeout(timer);
        }
      }
      return exited;
    },
  };
}

/** Runs `porter <args>` to its end. */
export async function runPorter(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const p = spawnPorter(args, env);
  const code = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}
