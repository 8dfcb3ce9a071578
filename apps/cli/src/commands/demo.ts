import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { loadConfig } from "@porter/config";
import { migrateDatabase } from "@porter/db";
import { startLegacySim, type FaultName } from "@porter/legacy-sim";
import { openConnections, preflight } from "@porter/runs";
import { EXIT } from "../exit-codes.js";
import { stderrLogs } from "../log-sink.js";
import { migrating } from "./db-migrate.js";
import { runCommand } from "./run.js";

const PORTER = fileURLToPath(new URL("../../bin/porter.js", import.meta.url));

export interface DemoFlags {
  docs: number;
  workers: number;
  /** The simulator's faults and their rates (its flags: --not-found 0.05 …); none by default. */
  faults?: Partial<Record<FaultName, number>>;
}

/**
 * `porter demo` (`npm run demo`): the whole topology on this machine —
 * migrate, a simulated legacy service, W worker processes, and a run
 * followed with a progress bar to its summary.
 */
export async function demoCommand(flags: DemoFlags): Promise<number> {
  const config = loadConfig();
  // Redis first: the run checks the rest, but a dead Redis should not wait for a migration and a simulator.
  const connections = openConnections(config, { applicationName: "porter-demo" });
  await preflight(config, connections, ["redis"]).finally(() => connections.close());
  await migrating(() => migrateDatabase(config.databaseUrl), "DATABASE_URL", config.databaseUrl);
  const faults = flags.faults ?? {};
  const sim = await startLegacySim({ docs: flags.docs, port: 0, faults });
  const faultText = Object.entries(faults).map(([name, r]) => `${name} ${r}`).join(", ");
  process.stderr.write(`legacy service: ${sim.url} (${flags.docs} documents${faultText === "" ? "" : `, faults: ${faultText}`})\n`);
  // METRICS_PORT 0: each worker its own free port (they would all want 9464 otherwise).
  const env = { ...process.env, LEGACY_URL: sim.url, LOG_LEVEL: process.env.LOG_LEVEL ?? "warn", METRICS_PORT: process.env.METRICS_PORT ?? "0" };
  const workers: ChildProcess[] = [];
  try {
    for (let i = 0; i < flags.workers; i++) {
      const worker = spawn(process.execPath, [PORTER, "worker"], { env, stdio: ["ignore", "pipe", "pipe"] });
      // Their lines go where the run's own do: above the progress bar while it is drawn.
      for (const output of [worker.stdout, worker.stderr]) {
        createInterface({ input: output, crlfDelay: Infinity }).on("line", (line) => stderrLogs.write(`${line}\n`));
      }
      workers.push(worker);
    }
    process.stderr.write(`${flags.workers} workers × concurrency ${config.workerConcurrency}\n`);
    const code = await runCommand({ follow: true, json: false }, { ...config, legacyUrl: sim.url });
    if (code === EXIT.failedDocuments) {
      // The simulator goes with the demo; what failed stays in the ledger.
      process.stderr.write(
        "what failed, and why: porter failures latest; undo the run: porter rollback latest --yes " +
          "(a requeue needs the legacy service: porter legacy-sim with the same flags, and workers pointed at it)\n",
      );
    }
    return code;
  } finally {
    await Promise.all(
      workers.map(async (worker) => {
        if (worker.exitCode !== null || worker.signalCode !== null) return;
        const exited = once(worker, "exit");
        worker.kill("SIGTERM");
        await exited;
      }),
    );
    await sim.close();
  }
}
