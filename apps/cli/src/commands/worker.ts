import { loadConfig } from "@porter/config";
import { createLogger } from "@porter/logger";
import { runWorker } from "@porter/worker";

/** `porter worker`: one worker process in the foreground, until SIGTERM/SIGINT. */
export async function workerCommand(): Promise<number> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, name: "worker" });
  await runWorker(config, logger);
  return 0;
}
