import type { Redis } from "ioredis";

/**
 * What Redis says its `maxmemory-policy` is. BullMQ needs `noeviction`: under
 * any other policy a Redis that fills up deletes keys, and a deleted job key
 * is a document silently dropped from the run.
 */
export type EvictionPolicy =
  | { state: "noeviction"; source: "config" | "info" }
  | { state: "evicting"; policy: string; source: "config" | "info" }
  /** Neither CONFIG GET nor INFO answered (ACLs, a managed Redis, Redis down). */
  | { state: "unknown"; reason: string };

/** The two log levels the check writes at; a pino logger fits. */
export interface CheckLogger {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Reads the policy with `CONFIG GET maxmemory-policy`; managed Redis services
 * often refuse CONFIG, so `INFO memory` (which carries `maxmemory_policy`) is
 * the fallback.
 */
export async function readEvictionPolicy(redis: Redis): Promise<EvictionPolicy & { configRefused?: string }> {
  let configRefused: string | undefined;
  try {
    const reply = (await redis.call("CONFIG", "GET", "maxmemory-policy")) as string[];
    const policy = reply[1];
    if (typeof policy === "string") {
      return policy === "noeviction" ? { state: "noeviction", source: "config" } : { state: "evicting", policy, source: "config" };
    }
    configRefused = "CONFIG GET returned no maxmemory-policy";
  } catch (err) {
    configRefused = messageOf(err);
  }
  try {
    const info = await redis.info("memory");
    const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
    if (policy === undefined) return { state: "unknown", reason: `CONFIG GET refused (${configRefused}); INFO has no maxmemory_policy` };
    return policy === "noeviction"
      ? { state: "noeviction", source: "info", configRefused }
      : { state: "evicting", policy, source: "info", configRefused };
  } catch (err) {
    return { state: "unknown", reason: `CONFIG GET refused (${configRefused}); INFO refused (${messageOf(err)})` };
  }
}

/** Resolves true once `redis` is ready, false if it ends first or `timeoutMs` passes. */
function whenReady(redis: Redis, timeoutMs: number | undefined): Promise<boolean> {
  if (redis.status === "ready") return Promise.resolve(true);
  if (redis.status === "end") return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      redis.off("ready", onReady);
      redis.off("end", onEnd);
      if (timer) clearTimeout(timer);
      resolve(ok);
    };
    const onReady = () => done(true);
    const onEnd = () => done(false);
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => done(false), timeoutMs);
    timer?.unref();
    redis.once("ready", onReady);
    redis.once("end", onEnd);
  });
}

export interface CheckOptions {
  /**
   * How long to wait for the connection before giving up on the check
   * (the command that follows reports a dead Redis better). Unset: wait as
   * long as the connection lives — for a worker, which starts before Redis.
   */
  readyTimeoutMs?: number;
}

/**
 * The start-up check of every process that talks to Redis: warns loudly when
 * the policy is not `noeviction`, and says so when it cannot be read. Never
 * throws: a wrong policy is dangerous but not a reason to refuse to start.
 */
export async function checkEvictionPolicy(redis: Redis, log: CheckLogger, options: CheckOptions = {}): Promise<EvictionPolicy> {
  if (!(await whenReady(redis, options.readyTimeoutMs))) {
    const reason = "Redis did not become ready";
    log.debug({ reason }, "skipped the maxmemory-policy check");
    return { state: "unknown", reason };
  }
  const result = await readEvictionPolicy(redis);
  switch (result.state) {
    case "noeviction":
      if (result.configRefused !== undefined) {
        log.debug({ reason: result.configRefused }, "Redis refused CONFIG GET (a managed Redis?); read maxmemory-policy from INFO instead");
      }
      log.debug({ maxmemoryPolicy: "noeviction" }, "Redis maxmemory-policy is noeviction");
      return { state: "noeviction", source: result.source };
    case "evicting":
      log.warn(
        { maxmemoryPolicy: result.policy, source: result.source },
        `REDIS MAY LOSE JOBS: maxmemory-policy is "${result.policy}", not "noeviction". ` +
          "When Redis fills up it will delete queue keys and documents will silently drop out of the run. " +
          "Set maxmemory-policy noeviction (redis.conf, or CONFIG SET maxmemory-policy noeviction).",
      );
      return { state: "evicting", policy: result.policy, source: result.source };
    case "unknown":
      log.warn(
        { reason: result.reason },
        "could not read Redis's maxmemory-policy (CONFIG GET and INFO refused); make sure it is noeviction, or queue keys can be evicted",
      );
      return result;
  }
}
