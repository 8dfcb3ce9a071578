import { ImportFailure } from "@porter/failures";
import { describe, expect, it } from "vitest";
import { documentPath } from "../src/index.js";

describe("documentPath", () => {
  it.each([
    ["", "abc", "/documents/abc"],
    ["/", "abc", "/documents/abc"],
    ["/api", "abc", "/api/documents/abc"],
    ["/api/", "abc", "/api/documents/abc"],
    ["/api//", "abc", "/api/documents/abc"],
    ["/a/b", "abc", "/a/b/documents/abc"],
    ["/api", "a b", "/api/documents/a%20b"],
    ["/api", "a/b", "/api/documents/a%2Fb"],
    ["/api", "a b/c", "/api/documents/a%20b%2Fc"],
    ["/api", "ü", "/api/documents/%C3%BC"],
    ["/api", "日本", "/api/documents/%E6%97%A5%E6%9C%AC"],
    ["/api", "😀", "/api/documents/%F0%9F%98%80"],
    ["/api", ".", "/api/documents/%2E"],
    ["/api", "..", "/api/documents/%2E%2E"],
    ["/api", "...", "/api/documents/..."],
    ["/api", "a.b", "/api/documents/a.b"],
    ["/api", "%", "/api/documents/%25"],
    ["/api", "100%20", "/api/documents/100%2520"],
    ["/api", "!'()*", "/api/documents/%21%27%28%29%2A"],
    ["/api", "?#&=+;:@", "/api/documents/%3F%23%26%3D%2B%3B%3A%40"],
    ["/api", "-_.~", "/api/documents/-_.~"],
    ["/api", "\\", "/api/documents/%5C"],
  ])("base %j, id %j → %s", (base, id, expected) => {
    expect(documentPath(base, id)).toBe(expected);
    const segment = expected.slice(expected.lastIndexOf("/") + 1);
    expect(decodeURIComponent(segment)).toBe(id);
  });

  it("throws for an empty id", () => {
    expect(() => documentPath("/api", "")).toThrow(ImportFailure);
  });

  it("throws invalid_document for an id that cannot be encoded", () => {
    try {
      documentPath("/api", "x\udc00");
      expect.unreachable();
    } catch (err) {
      expect((err as ImportFailure).kind).toBe("invalid_document");
    }
  });
});
