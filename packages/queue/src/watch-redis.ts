import type { Redis } from "ioredis";
import { redactUrl } from "@porter/config";
import { connectionLoss } from "@porter/failures";
import type { Logger } from "@porter/logger";

/**
 * One line when a process's Redis goes away (or is not there at start-up)
 * and one when it is back, instead of one per reconnect attempt: ioredis and
 * BullMQ retry by themselves, and the process's error listeners leave
 * connection losses to this. Returns a function that stops watching.
 */
export function watchRedis(connection: Redis, redisUrl: string, logger: Logger): () => void {
  let downSince: number | undefined;
  const gone = (reason: string) => {
    if (downSince !== undefined) return;
    downSince = Date.now();
    logger.warn({ reason }, `redis unreachable at ${redactUrl(redisUrl)}, waiting for it: ${reason}`);
  };
  const onError = (err: unknown) => gone(connectionLoss(err) ?? (err instanceof Error ? err.message : String(err)));
  const onReconnecting = () => gone("the connection closed");
  const onReady = () => {
    if (downSince === undefined) return;
    logger.info(`redis is back after ${((Date.now() - downSince) / 1000).toFixed(1)} s`);
    downSince = undefined;
  };
  connection.on("error", onError);
  connection.on("reconnecting", onReconnecting);
  connection.on("ready", onReady);
  return () => {
    connection.off("error", onError);
    connection.off("reconnecting", onReconnecting);
    connection.off("ready", onReady);
  };
}
