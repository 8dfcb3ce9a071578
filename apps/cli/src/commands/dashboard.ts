import { loadConfig } from "@porter/config";
import { createLogger } from "@porter/logger";

/** `porter dashboard`: Bull Board and Porter's pages on PORT, until SIGTERM/SIGINT. */
export async function dashboardCommand(): Promise<number> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, name: "dashboard" });
  // Loaded here, not with the CLI: fastify and Bull Board add 14 MB to every
  // process, workers included, that never serves a page.
  const { runDashboard } = await import("@porter/dashboard");
  await runDashboard(config, logger);
  return 0;
}
