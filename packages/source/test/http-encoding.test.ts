import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import { ImportFailure } from "@porter/failures";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createHttpSource, extractDocument, type Source } from "../src/index.js";
import { documentPage, sampleDocument } from "@porter/testing";
import { fetchText, startServer, type TestServer } from "./http-server.js";

const MAX = 64 * 1024;

let server: TestServer;
const opened: Source[] = [];

function open(maxPageBytes = MAX): Source {
  const s = createHttpSource({ url: `${server.url}/api`, connections: 2, maxPageBytes });
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
    return err as ImportFailure;
  }
  throw new Error("expected a failure");
}

/** Answers every request with `body` under `content-encoding`, in chunks of 1000 bytes (no content-length). */
function serve(encoding: string | undefined, body: Buffer, status = 200): void {
  server.handler = (_req, res) => {
    res.writeHead(status, { "content-type": "text/html; charset=utf-8", ...(encoding === undefined ? {} : { "content-encoding": encoding }) });
    for (let at = 0; at < body.length; at += 1000) res.write(body.subarray(at, at + 1000));
    res.end();
  };
}

// Long enough for several chunks, with multi-byte characters that fall across them.
const doc = sampleDocument("doc-1", { body: "é😀中 — ünïcödé ".repeat(2000) });
const html = Buffer.from(documentPage(doc));

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});
afterEach(async () => {
  server.handler = (_req, res) => res.end();
  server.requests.length = 0;
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

describe("content encodings", () => {
  it("asks for gzip, deflate and br on pages and listings", async () => {
    serve(undefined, html);
    const source = open();
    await fetchText(source, "doc-1", signal());
    serve(undefined, Buffer.from('{"documents":[],"nextCursor":null}'));
    await source.list(null, 10, signal());
    expect(server.requests.map((r) => r.headers["accept-encoding"])).toEqual(["gzip, deflate, br", "gzip, deflate, br"]);
  });

  it.each([
    ["gzip", gzipSync(html)],
    ["x-gzip", gzipSync(html)],
    ["GZip", gzipSync(html)],
    ["deflate", deflateSync(html)],
    // Some servers send raw deflate under "deflate", without the zlib header.
    ["deflate", deflateRawSync(html)],
    ["br", brotliCompressSync(html)],
    ["identity", html],
    ["gzip, identity", gzipSync(html)],
    // Codings are listed in the order they were applied: deflate first, then gzip.
    ["deflate, gzip", gzipSync(deflateSync(html))],
  ])("decodes %s", async (encoding, body) => {
    serve(encoding, body);
    expect(extractDocument(await fetchText(open(), "doc-1", signal()), "doc-1")).toEqual(doc);
  });

  it("decodes a gzip listing", async () => {
    const listing = { documents: [{ id: "ü/1", updatedAt: "2024-01-02T00:00:00Z" }], nextCursor: "c" };
    serve("gzip", gzipSync(JSON.stringify(listing)));
    expect(await open().list(null, 10, signal())).toEqual(listing);
  });

  it("accepts a page that decodes to exactly the cap", async () => {
    serve("gzip", gzipSync("y".repeat(MAX)));
    expect((await fetchText(open(), "a", signal())).length).toBe(MAX);
  });

  it.each([
    ["gzip", gzipSync(Buffer.alloc(MAX + 1, "z"))],
    ["deflate", deflateSync(Buffer.alloc(4 * MAX, "z"))],
    ["br", brotliCompressSync(Buffer.alloc(4 * MAX, "z"))],
  ])("counts the cap on decoded bytes: %s", async (encoding, body) => {
    expect(body.length).toBeLessThan(MAX);
    serve(encoding, body);
    const f = await failureOf(fetchText(open(), "big", signal()));
    expect(f.kind).toBe("too_large");
    expect(f.message).toBe(`GET document "big": the response decodes to more than the ${MAX} bytes allowed`);
  });

  it("stops a gzip bomb (1 MB that decodes to 1 GiB) at the cap without decoding it", async () => {
    // 1024 gzip members of 1 MiB of zeros each: gunzip reads concatenated members as one stream.
    const member = gzipSync(Buffer.alloc(1024 * 1024));
    const bomb = Buffer.concat(Array.from({ length: 1024 }, () => member));
    const cap = 2 * 1024 * 1024;
    expect(bomb.length).toBeLessThan(cap);
    serve("gzip", bomb);
    const before = process.memoryUsage().rss;
    const f = await failureOf(fetchText(open(cap), "bomb", signal()));
    expect(f.kind).toBe("too_large");
    expect(f.message).toContain("decodes to more than");
    // Decoding it whole would have taken 1 GiB.
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * 1024 * 1024);
  });

  it("still counts the cap on the compressed bytes", async () => {
    const noise = Buffer.from(Array.from({ length: 2 * MAX }, (_, i) => (i * 7919) % 251));
    serve("identity", noise);
    const f = await failureOf(fetchText(open(), "big", signal()));
    expect(f.kind).toBe("too_large");
    expect(f.message).toBe(`GET document "big": the response is larger than the ${MAX} bytes allowed`);
  });

  it.each([
    ["zstd", "zstd"],
    ["compress", "compress"],
    ["gzip, zstd", "zstd"],
    ["bogus", "bogus"],
  ])("refuses the unknown encoding %s, naming it", async (encoding, named) => {
    serve(encoding, html);
    const f = await failureOf(fetchText(open(), "odd", signal()));
    expect(f.kind).toBe("invalid_document");
    expect(f.retryable).toBe(false);
    expect(f.stage).toBe("fetch");
    expect(f.message).toBe(
      `GET document "odd": the response is encoded with ${JSON.stringify(named)}, which Porter cannot decode (it accepts gzip, deflate and br)`,
    );
  });

  it.each([
    ["gzip", Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from("not gzip at all, just text")]), "gzip"],
    ["br", Buffer.from("plain text, not brotli"), "br"],
    ["deflate", Buffer.from([0xff, 0xff, 0xff, 0xff]), "deflate"],
  ])("reports corrupt %s data as invalid_document", async (encoding, body, named) => {
    serve(encoding, body);
    const f = await failureOf(fetchText(open(), "bad", signal()));
    expect(f.kind).toBe("invalid_document");
    expect(f.stage).toBe("fetch");
    expect(f.message).toMatch(new RegExp(`^GET document "bad": the ${named}-encoded response does not decode: .+`));
  });

  it("reports gzip cut short within a complete response as invalid_document", async () => {
    const whole = gzipSync(html);
    serve("gzip", whole.subarray(0, whole.length - 100));
    const f = await failureOf(fetchText(open(), "short", signal()));
    expect(f.kind).toBe("invalid_document");
    expect(f.message).toBe('GET document "short": the gzip-encoded response does not decode: unexpected end of file');
  });

  it("reports a connection reset in the middle of a gzip body as network", async () => {
    const whole = gzipSync(html);
    server.handler = (req, res) => {
      res.writeHead(200, { "content-encoding": "gzip" });
      res.write(whole.subarray(0, 2000));
      setTimeout(() => req.socket.destroy(), 20);
    };
    const f = await failureOf(fetchText(open(), "reset", signal()));
    expect(f.kind).toBe("network");
    expect(f.retryable).toBe(true);
  });

  it("classifies an encoded error status by its status", async () => {
    serve("gzip", gzipSync("unavailable"), 503);
    expect((await failureOf(fetchText(open(), "a", signal()))).kind).toBe("http_5xx");
  });
});
