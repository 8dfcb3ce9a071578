import type { FaultName } from "@porter/legacy-sim";
import {
  createTestDatabase,
  createTestQueue,
  spawnPorter,
  startLegacySimProcess,
  type PorterProcess,
  type TestDatabase,
  type TestQueue,
} from "@porter/testing";
import { e2eEnv } from "./run-check.js";

export interface ScenarioOptions {
  /** Names the test file's database and queue prefix. */
  name: string;
  docs: number;
  seed: number;
  /** Simulator faults and their rates. */
  faults?: Partial<Record<FaultName, number>>;
  /** More simulator flags. */
  simArgs?: string[];
  /** The porter processes' environment (default: e2eEnv). */
  env?: (db: TestDatabase, queue: TestQueue, legacyUrl: string) => Record<string, string>;
}

/**
 * What most end-to-end tests start from: a database and a queue of the test
 * file's own, a simulator process serving the corpus, and the environment
 * that wires porter processes to them.
 */
export interface Scenario {
  db: TestDatabase;
  queue: TestQueue;
  env: Record<string, string>;
  /** Starts a porter process (env plus `extra`) that close() stops. */
  spawn(args: string[], extra?: Record<string, string>): PorterProcess;
  /** Stops the simulator: the legacy service is gone. */
  stopSimulator(): Promise<void>;
  /** Stops what spawn() started (SIGTERM, then SIGKILL after 10 s) and the simulator; drops the queue and the database. */
  close(): Promise<void>;
}

/** The simulator flags for a corpus of `docs` documents with `seed` and `faults`. */
export function simArgs(docs: number, seed: number, faults: Partial<Record<FaultName, number>> = {}): string[] {
  const args = ["--docs", String(docs), "--seed", String(seed)];
  for (const [name, rate] of Object.entries(faults)) args.push(`--${name}`, String(rate));
  return args;
}

export async function openScenario(options: ScenarioOptions): Promise<Scenario> {
  const db = await createTestDatabase(options.name);
  const queue = createTestQueue(options.name);
  let sim: PorterProcess;
  let legacyUrl: string;
  try {
    ({ process: sim, url: legacyUrl } = await startLegacySimProcess([
      ...simArgs(options.docs, options.seed, options.faults),
      ...(options.simArgs ?? []),
    ]));
  } catch (err) {
    await queue.drop();
    await db.drop();
    throw err;
  }
  const env = (options.env ?? e2eEnv)(db, queue, legacyUrl);
  const started: PorterProcess[] = [];
  return {
    db,
    queue,
    env,
    spawn(args, extra = {}) {
      const p = spawnPorter(args, { ...env, ...extra });
      started.push(p);
      return p;
    },
    async stopSimulator() {
      await sim.stop();
    },
    async close() {
      await Promise.allSettled(started.map((p) => p.stop("SIGTERM", 10_000)));
      await sim.stop();
      await queue.drop();
      await db.drop();
    },
  };
}
