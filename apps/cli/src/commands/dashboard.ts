import { loadConfig } from "@porter/config";
import { runDashboard } from "@porter/dashboard";
import { createLogger } from "@porter/logger";

/** `porter dashboard`: Bull Board and Porter's pages on PORT, until SIGTERM/SIGINT. */
export async function dashboardCommand(): Promise<number> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, name: "dashboard" });
  await runDashboard(config, logger);
  return 0;
}
