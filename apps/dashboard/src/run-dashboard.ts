import { ConfigError, type Config } from "@porter/config";
import type { Logger } from "@porter/logger";
import { watchRedis } from "@porter/queue";
import { createRunOperations, openConnections } from "@porter/runs";
import { createDashboard } from "./create-dashboard.js";
import { knownNames } from "./known-names.js";

/**
 * The dashboard process: listens on PORT until SIGTERM/SIGINT. Without a
 * DASHBOARD_PASSWORD it listens on 127.0.0.1 only, and says so. It logs the
 * Host names it answers to (the loopback ones, and DASHBOARD_ORIGIN's).
 */
export async function runDashboard(config: Config, logger: Logger): Promise<void> {
  const connections = openConnections(config, { applicationName: "porter-dashboard", poolSize: 4 });
  const runs = createRunOperations(config, { connections, logger });
  // Redis may come and go while the dashboard runs: one line each way, not a stack per reconnect.
  watchRedis(connections.redis, config.redisUrl, logger);
  connections.queue.on("error", () => {});
  const app = await createDashboard({ config, logger, pool: connections.pool, queue: connections.queue, runs, connections });
  const open = config.dashboardPassword !== undefined;
  const host = open ? "0.0.0.0" : "127.0.0.1";
  let address: string;
  try {
    address = await app.listen({ host, port: config.port });
  } catch (err) {
    await connections.close();
    const code = typeof err === "object" && err !== null && "code" in err ? err.code : undefined;
    // Bad configuration, like any other: one line naming the variable (exit 2), not a stack trace.
    if (code === "EADDRINUSE") throw new ConfigError(`PORT=${config.port}: ${host}:${config.port} is in use by another process; choose another PORT`);
    if (code === "EACCES") throw new ConfigError(`PORT=${config.port}: this process may not listen on port ${config.port} (below 1024 needs privileges); choose another PORT`);
    throw err;
  }
  const bound = app.server.address();
  const port = bound !== null && typeof bound === "object" ? bound.port : config.port;
  const { hosts } = knownNames(port, config.dashboardOrigin);
  if (!open) logger.warn("DASHBOARD_PASSWORD is not set: no authentication, listening on 127.0.0.1 only");
  logger.info({ url: address.replace("0.0.0.0", "127.0.0.1"), hosts }, "dashboard listening");
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  await app.close();
  await connections.close();
}
