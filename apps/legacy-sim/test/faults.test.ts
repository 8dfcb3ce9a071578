import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLegacySim, type FaultName, type LegacySim } from "../src/index.js";
import { docUrl, extractJson, findIndex } from "./helpers.js";

const TOO_LARGE = 200_000;

describe("document faults", () => {
  let sim: LegacySim;
  const url = (fault: FaultName): string => {
    const i = findIndex(sim.corpus.size, (k) => sim.corpus.fault(k) === fault && !used.has(k));
    used.add(i);
    return docUrl(sim.url, sim.corpus.id(i));
  };
  const used = new Set<number>();
  beforeAll(async () => {
    const each = ["rate-limit", "server-error", "reset", "hang", "slow", "not-found", "missing-tag", "bad-json", "bad-shape", "too-large"] as const;
    sim = await startLegacySim({ docs: 3000, seed: 11, tooLargeBytes: TOO_LARGE, faults: Object.fromEntries(each.map((f) => [f, 0.05])) });
  });
  afterAll(() => sim.close());

  /** Up to `n` attempts; the statuses (or "error") seen, stopping at the first 200. */
  async function attempts(target: string, n: number, timeoutMs = 5000): Promise<(number | string)[]> {
    const seen: (number | string)[] = [];
    for (let k = 0; k < n && seen.at(-1) !== 200; k++) {
      try {
        const res = await fetch(target, { signal: AbortSignal.timeout(timeoutMs) });
        await res.arrayBuffer();
        seen.push(res.status);
      } catch (error) {
        seen.push((error as Error).name);
      }
    }
    return seen;
  }

  it("rate-limit: 429 with Retry-After: 1, then the document by the third request", async () => {
    const target = url("rate-limit");
    const first = await fetch(target);
    expect(first.status).toBe(429);
    expect(first.headers.get("retry-after")).toBe("1");
    const rest = await attempts(target, 2);
    expect(rest.at(-1)).toBe(200);
    expect(rest.slice(0, -1).every((s) => s === 429)).toBe(true);
    expect((await fetch(target)).status).toBe(200); // stays served
  });

  it("server-error: 500/502/503, then the document", async () => {
    const seen = await attempts(url("server-error"), 3);
    expect([500, 502, 503]).toContain(seen[0]);
    expect(seen.at(-1)).toBe(200);
  });

  it("reset: the connection dies without an answer, then the document", async () => {
    const target = url("reset");
    await expect(fetch(target)).rejects.toThrow(TypeError);
    expect((await attempts(target, 2)).at(-1)).toBe(200);
  });

  it("hang: no answer within 1 s, then the document", async () => {
    const target = url("hang");
    const seen = await attempts(target, 3, 1000);
    expect(seen[0]).toBe("TimeoutError");
    expect(seen.at(-1)).toBe(200);
  });

  it("slow: every answer takes 200–1000 ms", async () => {
    const target = url("slow");
    for (let k = 0; k < 2; k++) {
      const start = performance.now();
      const res = await fetch(target);
      await res.text();
      expect(res.status).toBe(200);
      expect(performance.now() - start).toBeGreaterThanOrEqual(190);
    }
  });

  it("permanent faults persist on every request", async () => {
    const notFound = url("not-found");
    const noTag = url("missing-tag");
    const badJson = url("bad-json");
    const badShape = url("bad-shape");
    for (let k = 0; k < 3; k++) {
      expect((await fetch(notFound)).status).toBe(404);

      const noTagRes = await fetch(noTag);
      expect(noTagRes.status).toBe(200);
      const noTagHtml = await noTagRes.text();
      expect(extractJson(noTagHtml)).toBeNull();
      expect(noTagHtml).toContain("document-data-preview"); // decoys stay, to catch sloppy extractors

      const broken = extractJson(await (await fetch(badJson)).text());
      expect(broken).not.toBeNull();
      expect(() => JSON.parse(broken ?? "")).toThrow(SyntaxError);

      const shaped = JSON.parse(extractJson(await (await fetch(badShape)).text()) ?? "") as Record<string, unknown>;
      const valid =
        !Array.isArray(shaped) &&
        typeof shaped["title"] === "string" &&
        Array.isArray(shaped["tags"]) &&
        typeof shaped["author"] === "object" &&
        Array.isArray(shaped["attachments"]);
      expect(valid).toBe(false);
    }
  });

  it("too-large: a page larger than tooLargeBytes, padded with a comment before the data", async () => {
    const target = url("too-large");
    const res = await fetch(target);
    const html = Buffer.from(await res.arrayBuffer());
    expect(res.status).toBe(200);
    expect(html.length).toBeGreaterThan(TOO_LARGE);
    expect(Number(res.headers.get("content-length"))).toBe(html.length);
    const text = html.toString();
    expect(text.indexOf("<!-- xxxx")).toBeLessThan(text.indexOf("<script"));
    const i = sim.corpus.indexOf(decodeURIComponent(target.slice(target.lastIndexOf("/") + 1))) ?? -1;
    expect(JSON.parse(extractJson(text) ?? "")).toEqual(sim.corpus.document(i));
  });

  it("counts the faults it served", () => {
    const served = sim.stats().faultsServed;
    for (const f of ["rate-limit", "server-error", "reset", "hang", "slow", "not-found", "missing-tag", "bad-json", "bad-shape", "too-large"]) {
      expect(served[f], f).toBeGreaterThan(0);
    }
  });
});

describe("defaults and shutdown", () => {
  it("too-large pages exceed 33,554,433 bytes by default", async () => {
    const sim = await startLegacySim({ docs: 5, faults: { "too-large": 1 } });
    try {
      const res = await fetch(docUrl(sim.url, sim.corpus.id(2)));
      const length = (await res.arrayBuffer()).byteLength;
      expect(length).toBeGreaterThan(33_554_433);
      expect(sim.corpus.expectation(2)).toEqual({ outcome: "failed", kind: "too_large" });
    } finally {
      await sim.close();
    }
  });

  it("close() resolves quickly with hanging and slow requests open", async () => {
    const sim = await startLegacySim({ docs: 10, faults: { hang: 0.5, slow: 0.5 } });
    const hang = findIndex(10, (i) => sim.corpus.fault(i) === "hang");
    const slow = findIndex(10, (i) => sim.corpus.fault(i) === "slow");
    const pending = [hang, slow].map((i) => fetch(docUrl(sim.url, sim.corpus.id(i))).then((r) => r.status, (e: Error) => e.name));
    while (sim.stats().documents < 2) await new Promise((r) => setTimeout(r, 5));
    const start = performance.now();
    await sim.close();
    expect(performance.now() - start).toBeLessThan(500);
    const outcomes = await Promise.all(pending);
    expect(outcomes.every((o) => o !== 200)).toBe(true);
  });

  it("refuses a port that is taken", async () => {
    const sim = await startLegacySim({ docs: 1 });
    try {
      await expect(startLegacySim({ docs: 1, port: sim.port })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await sim.close();
    }
  });
});
