import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";

// KEYS[1] the lease key; ARGV[1] this holder's token, ARGV[2] ttl (ms).
// Takes the lease when free, renews it when this holder has it; returns 1 if
// held now, 0 if another holder has it. One script, so no two holders can
// both see it free.
const ACQUIRE = `
local holder = redis.call("GET", KEYS[1])
if holder == ARGV[1] then
  redis.call("PEXPIRE", KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
  return 1
end
return 0`;

// KEYS[1] the lease key; ARGV[1] this holder's token. Deletes it only if it is ours.
const RELEASE = `
if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end
return 0`;

/**
 * A lease in Redis (SET NX PX, renewed by its holder): at most one holder
 * across all processes while its holder keeps renewing within `ttlMs`. A
 * holder that dies stops renewing and another takes over after `ttlMs`. If
 * the key is lost (a FLUSHALL), another process may take it; the old holder
 * learns on its next renewal, so for at most one round two holders may act —
 * the reconciler tolerates that (adding a job twice adds it once).
 */
export class RedisLease {
  private readonly token = randomUUID();

  constructor(
    private readonly redis: Redis,
    readonly key: string,
    private readonly ttlMs: number,
  ) {}

  /** Takes or renews the lease; true while this process holds it. */
  async acquire(): Promise<boolean> {
    return (await this.redis.eval(ACQUIRE, 1, this.key, this.token, String(this.ttlMs))) === 1;
  }

  /** Gives the lease up if this process holds it, so another can take it at once. */
  async release(): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key, this.token);
  }
}
