import { Redis } from "ioredis";

/**
 * Connects to `url` once, PINGs, and disconnects: whether Redis answers, in
 * at most `timeoutMs`. A client of its own that never retries, so a dead
 * Redis is one error here rather than a stream of reconnect attempts.
 * @throws the connection's error (its `code`: ECONNREFUSED, ENOTFOUND, …), or one whose code is ETIMEDOUT
 */
export async function pingRedis(url: string, timeoutMs: number): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectionName: "porter-check",
  });
  // The socket's own error (ECONNREFUSED …): connect() rejects with only "Connection is closed".
  let cause: unknown;
  client.on("error", (err: unknown) => (cause ??= err));
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      (async () => {
        await client.connect();
        await client.ping();
      })(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: "ETIMEDOUT" })), timeoutMs);
      }),
    ]);
  } catch (err) {
    throw cause ?? err;
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}
