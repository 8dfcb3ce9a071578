import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/index.js";

// A bad URL is exactly when its value is echoed in the error, and a URL
// that does not parse at all (a port out of range, say) used to be echoed
// whole, password included.
const PASSWORD = "s3cr3t-7d1e9b20";

function messageOf(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error("loadConfig accepted the environment");
}

describe("a bad URL's password never appears in a ConfigError", () => {
  it.each([
    ["DATABASE_URL", `postgres://porter:${PASSWORD}@db:99999/porter`, '"postgres://porter:***@db:99999/porter"'],
    ["DATABASE_URL", `mysql://porter:${PASSWORD}@db/porter`, '"mysql://porter:***@db/porter"'],
    ["REDIS_URL", `redis://:${PASSWORD}@cache:70000`, '"redis://:***@cache:70000"'],
    // '#', '/', '@' and '?' in a password unencoded: nothing of it shows.
    ["REDIS_URL", `http://u:a#b/c@d?${PASSWORD}@cache:6379`, '"http://u:***@cache:6379"'],
    ["LEGACY_URL", `ftp://u:${PASSWORD}@legacy`, '"ftp://u:***@legacy"'],
  ])("%s=%s", (name, value, shown) => {
    const message = messageOf({ [name]: value });
    expect(message).toContain(`${name}: expected a URL starting with`);
    expect(message).toContain(`got ${shown}`);
    expect(message).not.toContain(PASSWORD);
  });

  it("still shows a bad URL without a password as it came", () => {
    expect(messageOf({ DATABASE_URL: "postgres://db:99999/porter" })).toContain('got "postgres://db:99999/porter"');
  });
});
