import { inspect } from "node:util";
import { ImportFailure } from "@porter/failures";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createHttpSource, extractDocument, type Source } from "../src/index.js";
import { documentPage, sampleDocument } from "@porter/testing";
import { fetchText, startServer, type TestServer } from "./http-server.js";

const TOKEN = "s3cr3t-t0ken-value";
const MAX = 64 * 1024;

let server: TestServer;
let source: Source;
const opened: Source[] = [];

function open(options: { path?: string; token?: string; connections?: number; idleTimeoutMs?: number } = {}): Source {
  const s = createHttpSource({
    url: server.url + (options.path ?? "/api"),
    connections: options.connections ?? 4,
    maxPageBytes: MAX,
    ...(options.token === undefined ? {} : { token: options.token }),
    ...(options.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: options.idleTimeoutMs }),
  });
  opened.push(s);
  return s;
}

function signal(): AbortSignal {
  return AbortSignal.timeout(10_000);
}

async function failureOf(promise: Promise<unknown>): Promise<ImportFailure> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ImportFailure);
    const failure = err as ImportFailure;
    // The token must not leak through any message, the stack or any cause.
    expect(inspect(failure, { depth: 10 })).not.toContain(TOKEN);
    expect(failure.message).not.toContain(TOKEN);
    return failure;
  }
  throw new Error("expected a failure");
}

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.requests.length = 0;
  server.connections = 0;
  source = open({ token: TOKEN });
});
afterEach(async () => {
  // Sockets left hanging by a test must not keep close() waiting.
  server.handler = (_req, res) => res.end();
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

const html = (req: { url?: string }) => documentPage(sampleDocument(decodeURIComponent((req.url ?? "").split("/").pop() ?? "")));

describe("fetchPage", () => {
  it("returns the page, decoded", async () => {
    server.handler = (req, res) => {
      res.setHeader("content-type", "text/html; charset=utf-8");
      res.end(html(req));
    };
    const text = await fetchText(source, "doc-1", signal());
    expect(extractDocument(text, "doc-1")).toEqual(sampleDocument());
    expect(server.requests[0]?.method).toBe("GET");
    expect(server.requests[0]?.url).toBe("/api/documents/doc-1");
  });

  it("keeps unicode across chunk boundaries", async () => {
    const body = "é😀中".repeat(5000);
    server.handler = (_req, res) => {
      const bytes = Buffer.from(body);
      // Split inside a multi-byte character.
      res.write(bytes.subarray(0, 1001));
      res.end(bytes.subarray(1001));
    };
    expect(await fetchText(source, "u", signal())).toBe(body);
  });

  it.each([
    ["", "a b/c", "/documents/a%20b%2Fc"],
    ["/api", "a b/c", "/api/documents/a%20b%2Fc"],
    ["/api/", "ünï 日本", "/api/documents/%C3%BCn%C3%AF%20%E6%97%A5%E6%9C%AC"],
    ["/a/b//", ".", "/a/b/documents/%2E"],
    ["/api", "..", "/api/documents/%2E%2E"],
    ["/api", "50%", "/api/documents/50%25"],
    ["/api", "x?y#z&w=1", "/api/documents/x%3Fy%23z%26w%3D1"],
    ["/api", "it's (a)*!", "/api/documents/it%27s%20%28a%29%2A%21"],
    ["/api", "%2F", "/api/documents/%252F"],
  ])("base %j, id %j: the server sees %s", async (path, id, expected) => {
    server.handler = (_req, res) => res.end("ok");
    const s = open({ path });
    await fetchText(s, id, signal());
    expect(server.requests[0]?.url).toBe(expected);
    expect(decodeURIComponent(expected.split("/").pop() ?? "")).toBe(id);
  });

  it("sends the token when set, and no authorization header otherwise", async () => {
    server.handler = (_req, res) => res.end("ok");
    await fetchText(source, "a", signal());
    await fetchText(open(), "b", signal());
    await fetchText(open({ token: "" }), "c", signal());
    expect(server.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${TOKEN}`, undefined, undefined]);
  });

  it.each([
    [404, "not_found", false],
    [500, "http_5xx", true],
    [503, "http_5xx", true],
    [401, "http_4xx", false],
    [403, "http_4xx", false],
  ] as const)("classifies %d as %s", async (status, kind, retryable) => {
    server.handler = (_req, res) => {
      res.statusCode = status;
      res.end(`error page mentioning ${TOKEN}`);
    };
    const f = await failureOf(fetchText(source, "a b/c", signal()));
    expect(f.kind).toBe(kind);
    expect(f.retryable).toBe(retryable);
    expect(f.stage).toBe("fetch");
    expect(f.message).toContain('GET document "a b/c"');
    expect(f.message).toContain(String(status));
  });

  it("classifies 429 with Retry-After in seconds", async () => {
    server.handler = (_req, res) => {
      res.writeHead(429, { "retry-after": "7" });
      res.end();
    };
    const f = await failureOf(fetchText(source, "a", signal()));
    expect(f.kind).toBe("rate_limited");
    expect(f.retryable).toBe(true);
    expect(f.retryAfterMs).toBe(7000);
  });

  it("classifies 429 with Retry-After as an HTTP date", async () => {
    server.handler = (_req, res) => {
      res.writeHead(429, { "retry-after": new Date(Date.now() + 30_000).toUTCString() });
      res.end();
    };
    const f = await failureOf(fetchText(source, "a", signal()));
    expect(f.kind).toBe("rate_limited");
    expect(f.retryAfterMs).toBeGreaterThan(25_000);
    expect(f.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it("reuses the socket after an error status", async () => {
    const s = open({ connections: 1 });
    let n = 0;
    server.handler = (_req, res) => {
      res.statusCode = n++ % 2 === 0 ? 404 : 200;
      res.end("x".repeat(1000));
    };
    for (let i = 0; i < 6; i++) await fetchText(s, "a", signal()).catch(() => undefined);
    expect(server.connections).toBe(1);
  });

  it("reports a connection reset as network", async () => {
    server.handler = (req) => req.socket.destroy();
    const f = await failureOf(fetchText(source, "a", signal()));
    expect(f.kind).toBe("network");
    expect(f.retryable).toBe(true);
    expect(f.message).toContain('GET document "a"');
  });

  it("reports a reset in the middle of the body as network", async () => {
    server.handler = (req, res) => {
      res.write("<html>partial");
      setTimeout(() => req.socket.destroy(), 20);
    };
    expect((await failureOf(fetchText(source, "a", signal()))).kind).toBe("network");
  });

  it("aborts a response that never comes: timeout", async () => {
    server.handler = () => undefined;
    const started = Date.now();
    const f = await failureOf(fetchText(source, "a", AbortSignal.timeout(200)));
    expect(f.kind).toBe("timeout");
    expect(f.retryable).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("aborts a body that stalls: timeout", async () => {
    server.handler = (_req, res) => res.write("<html>");
    expect((await failureOf(fetchText(source, "a", AbortSignal.timeout(200)))).kind).toBe("timeout");
  });

  it("fails at once with an already aborted signal", async () => {
    server.handler = (_req, res) => res.end("ok");
    expect((await failureOf(fetchText(source, "a", AbortSignal.abort()))).kind).toBe("timeout");
  });

  it("idleTimeoutMs: a response that sends no headers is aborted as a retryable timeout naming FETCH_IDLE_TIMEOUT_MS", async () => {
    server.handler = () => undefined;
    // The attempt's own signal would wait 10 s; the test's deadline is shorter.
    const f = await failureOf(fetchText(open({ idleTimeoutMs: 200 }), "a", signal()));
    expect(f).toMatchObject({ kind: "timeout", retryable: true, stage: "fetch" });
    expect(f.message).toMatch(/no response headers for FETCH_IDLE_TIMEOUT_MS/);
  }, 5_000);

  it("idleTimeoutMs: a body that stops half-way is aborted; one that keeps sending slower than that in all is not", async () => {
    server.handler = (_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.write("<html>half a page");
    };
    const stalled = await failureOf(fetchText(open({ idleTimeoutMs: 200 }), "a", signal()));
    expect(stalled).toMatchObject({ kind: "timeout", retryable: true });
    expect(stalled.message).toMatch(/no byte of the body for FETCH_IDLE_TIMEOUT_MS/);

    // Eight chunks 100 ms apart: 800 ms in all, never 200 ms without a byte.
    server.handler = (_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      let sent = 0;
      const timer = setInterval(() => {
        res.write(`chunk ${sent} `);
        if (++sent === 8) {
          clearInterval(timer);
          res.end();
        }
      }, 100);
    };
    expect(await fetchText(open({ idleTimeoutMs: 200 }), "a", signal())).toBe(
      Array.from({ length: 8 }, (_, k) => `chunk ${k} `).join(""),
    );
  }, 5_000);

  it("refuses a declared content-length over the cap without reading it", async () => {
    let closed = false;
    server.handler = (_req, res) => {
      res.writeHead(200, { "content-length": String(MAX + 1) });
      res.write("x".repeat(1000));
      res.on("close", () => (closed = true));
    };
    const f = await failureOf(fetchText(source, "big", signal()));
    expect(f.kind).toBe("too_large");
    expect(f.retryable).toBe(false);
    expect(f.message).toContain('GET document "big"');
    await expect.poll(() => closed).toBe(true);
  });

  it("accepts a body of exactly the cap", async () => {
    server.handler = (_req, res) => res.end("y".repeat(MAX));
    expect((await fetchText(source, "a", signal())).length).toBe(MAX);
  });

  it("stops a chunked body once it passes the cap", async () => {
    let written = 0;
    let closed = false;
    server.handler = (_req, res) => {
      const chunk = "z".repeat(8 * 1024);
      res.on("close", () => (closed = true));
      const timer = setInterval(() => {
        if (closed) return clearInterval(timer);
        res.write(chunk);
        written += chunk.length;
      }, 1);
    };
    const f = await failureOf(fetchText(source, "chunky", signal()));
    expect(f.kind).toBe("too_large");
    await expect.poll(() => closed).toBe(true);
    expect(written).toBeLessThan(10 * MAX);
  });

  it("reports invalid UTF-8 as invalid_document at extract", async () => {
    server.handler = (_req, res) => res.end(Buffer.from([0x3c, 0x70, 0x3e, 0xff, 0xfe, 0x41]));
    const f = await failureOf(fetchText(source, "bad-bytes", signal()));
    expect(f.kind).toBe("invalid_document");
    expect(f.stage).toBe("extract");
    expect(f.message).toBe('GET document "bad-bytes": the response is not valid UTF-8');
  });

  it("refuses an empty id and an id with a lone surrogate", async () => {
    expect((await failureOf(fetchText(source, "", signal()))).kind).toBe("invalid_document");
    expect((await failureOf(fetchText(source, "a\ud800", signal()))).kind).toBe("invalid_document");
    expect(server.requests).toHaveLength(0);
  });

  it("keeps sockets alive: fewer sockets than requests", async () => {
    server.handler = (req, res) => res.end(html(req));
    const s = open({ connections: 2, token: TOKEN });
    for (let i = 0; i < 10; i++) await fetchText(s, `seq-${i}`, signal());
    await Promise.all(Array.from({ length: 30 }, (_, i) => fetchText(s, `par-${i}`, signal())));
    expect(server.requests).toHaveLength(40);
    expect(server.connections).toBeLessThanOrEqual(2);
  });

  it("fails after close", async () => {
    await source.close();
    expect((await failureOf(fetchText(source, "a", signal()))).kind).toBe("network");
  });
});

describe("list", () => {
  const listing = {
    documents: [
      { id: "a b", updatedAt: "2024-01-01T00:00:00Z", extra: true },
      { id: "ü/1", updatedAt: "2024-01-02T00:00:00.5+01:00" },
    ],
    nextCursor: "c2",
  };

  it("parses a page and passes limit and cursor as query parameters", async () => {
    server.handler = (_req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(listing));
    };
    const result = await source.list(null, 50);
    expect(result).toEqual({
      documents: [
        { id: "a b", updatedAt: "2024-01-01T00:00:00Z" },
        { id: "ü/1", updatedAt: "2024-01-02T00:00:00.5+01:00" },
      ],
      nextCursor: "c2",
    });
    await source.list("a&b=c d/é+", 10, signal());
    expect(server.requests.map((r) => r.url)).toEqual([
      "/api/documents?limit=50",
      "/api/documents?limit=10&cursor=a%26b%3Dc%20d%2F%C3%A9%2B",
    ]);
    expect(new URL(server.requests[1]?.url ?? "", "http://x").searchParams.get("cursor")).toBe("a&b=c d/é+");
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it("accepts an empty page with a cursor, and a null cursor", async () => {
    server.handler = (_req, res) => res.end('{"documents":[],"nextCursor":"more"}');
    expect(await source.list("x", 1)).toEqual({ documents: [], nextCursor: "more" });
    server.handler = (_req, res) => res.end('{"documents":[],"nextCursor":null}');
    expect(await source.list("x", 1)).toEqual({ documents: [], nextCursor: null });
  });

  it("reports broken JSON as invalid_json naming the listing", async () => {
    server.handler = (_req, res) => res.end('{"documents": [');
    const f = await failureOf(source.list("cur", 10));
    expect(f.kind).toBe("invalid_json");
    expect(f.message).toMatch(/^GET listing after cursor "cur": the listing is not valid JSON: /);
  });

  it("takes an empty id and any updatedAt as listed: the enqueuer judges each entry alone", async () => {
    const documents = [{ id: "" }, { id: "a", updatedAt: 5 }, { id: "b", updatedAt: null }, { id: "c", updatedAt: "yesterday" }];
    server.handler = (_req, res) => res.end(JSON.stringify({ documents, nextCursor: null }));
    expect(await source.list(null, 10)).toEqual({ documents, nextCursor: null });
  });

  it.each([
    [{ documents: [{ id: "a", updatedAt: "t" }, { id: 7, updatedAt: "t" }], nextCursor: null }, "documents[1].id"],
    [{ documents: [{ updatedAt: "t" }], nextCursor: null }, "documents[0].id"],
    [{ documents: [], nextCursor: 5 }, "nextCursor"],
    [{ documents: [] }, "nextCursor"],
    [{ items: [], nextCursor: null }, "documents"],
    [[], "(root)"],
  ])("reports a listing of the wrong shape as invalid_document: %j", async (body, path) => {
    server.handler = (_req, res) => res.end(JSON.stringify(body));
    const f = await failureOf(source.list(null, 10));
    expect(f.kind).toBe("invalid_document");
    expect(f.message).toContain(`GET listing (first page): the listing has the wrong shape: ${path}: `);
  });

  it("classifies status codes and aborts like pages", async () => {
    server.handler = (_req, res) => {
      res.writeHead(429, { "retry-after": "2" });
      res.end();
    };
    const f = await failureOf(source.list(null, 10));
    expect(f.kind).toBe("rate_limited");
    expect(f.retryAfterMs).toBe(2000);
    expect(f.message).toContain("GET listing");
    server.handler = () => undefined;
    expect((await failureOf(source.list(null, 10, AbortSignal.timeout(100)))).kind).toBe("timeout");
  });

  it("refuses a limit that is not a positive integer", async () => {
    await expect(source.list(null, 0)).rejects.toThrow(RangeError);
    await expect(source.list(null, 1.5)).rejects.toThrow(RangeError);
  });
});

describe("createHttpSource options", () => {
  it.each([
    ["not a url", /not a valid absolute URL/],
    ["ftp://h/x", /http: or https:/],
    [`http://user:${TOKEN}@h/`, /credentials/],
    ["http://h/api?x=1", /query/],
  ])("refuses the URL %j without echoing it", (url, message) => {
    let error: unknown;
    try {
      createHttpSource({ url, connections: 1, maxPageBytes: 1 });
    } catch (err) {
      error = err;
    }
    expect(String(error)).toMatch(message);
    expect(String(error)).not.toContain(TOKEN);
  });

  it("refuses bad numbers and a token with a line break", () => {
    expect(() => createHttpSource({ url: "http://h", connections: 0, maxPageBytes: 1 })).toThrow(/connections/);
    expect(() => createHttpSource({ url: "http://h", connections: 1, maxPageBytes: -1 })).toThrow(/maxPageBytes/);
    expect(() => createHttpSource({ url: "http://h", connections: 1, maxPageBytes: 1, token: `${TOKEN}\r\nx: y` })).toThrow(
      /^the legacy token must not contain/,
    );
  });
});
