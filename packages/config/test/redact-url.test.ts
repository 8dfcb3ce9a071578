import { describe, expect, it } from "vitest";
import { redactUrl } from "../src/index.js";

describe("redactUrl", () => {
  it("hides the password of a database URL and keeps the rest", () => {
    const out = redactUrl("postgres://porter:hunter2@db.internal:5432/porter?sslmode=require");
    expect(out).not.toContain("hunter2");
    expect(out).toBe("postgres://porter:***@db.internal:5432/porter?sslmode=require");
  });

  it("hides a password given without a user (redis)", () => {
    const out = redactUrl("redis://:s3cr3t@cache:6379/0");
    expect(out).not.toContain("s3cr3t");
    expect(out).toBe("redis://:***@cache:6379/0");
  });

  it("hides a percent-encoded password", () => {
    const out = redactUrl("postgresql://u:p%40ss%3Aw0rd@h/db");
    expect(out).not.toContain("p%40ss");
    expect(out).not.toContain("w0rd");
    expect(out).toBe("postgresql://u:***@h/db");
  });

  it("leaves a URL without a password as it is", () => {
    expect(redactUrl("postgres://postgres@127.0.0.1:5432/porter")).toBe("postgres://postgres@127.0.0.1:5432/porter");
    expect(redactUrl("http://legacy:4000/api")).toBe("http://legacy:4000/api");
  });

  it("never echoes what it cannot parse", () => {
    expect(redactUrl("http://u:secret@exa mple.com")).toBe("<unparseable url>");
    expect(redactUrl("://u:secret@h")).toBe("<unparseable url>");
  });
});
