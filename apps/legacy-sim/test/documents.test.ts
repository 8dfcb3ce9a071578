import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLegacySim, type LegacySim } from "../src/index.js";
import { docUrl, extractJson, getJson } from "./helpers.js";

describe("documents over HTTP", () => {
  let sim: LegacySim;
  beforeAll(async () => {
    sim = await startLegacySim({ docs: 100_000, seed: 5 });
  });
  afterAll(() => sim.close());

  it("serves every id shape, percent-encoded as one segment, with the document embedded", async () => {
    const byShape = new Map<string, number>();
    for (let i = 0; byShape.size < 10 && i < 1000; i++) if (!byShape.has(sim.corpus.id(i).replace(/\d+/, "#"))) byShape.set(sim.corpus.id(i).replace(/\d+/, "#"), i);
    expect(byShape.size).toBe(10);
    for (const i of [...byShape.values(), 99_999]) {
      const res = await fetch(docUrl(sim.url, sim.corpus.id(i)));
      expect(res.status, sim.corpus.id(i)).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(Number(res.headers.get("content-length"))).toBe(bytes.length);
      expect(bytes.equals(sim.corpus.render(i))).toBe(true);
      expect(JSON.parse(extractJson(bytes.toString("utf8")) ?? "")).toEqual(sim.corpus.document(i));
    }
  });

  it("round-trips documents exactly for a sample of ids", async () => {
    for (let k = 0; k < 200; k++) {
      const i = (k * 4_999) % sim.corpus.size;
      const html = await (await fetch(docUrl(sim.url, sim.corpus.id(i)))).text();
      expect(JSON.parse(extractJson(html) ?? "")).toEqual(sim.corpus.document(i));
    }
  });

  it("answers 404 for unknown ids and ids not encoded as one segment, 400 for bad encoding", async () => {
    const slashed = sim.corpus.id(Array.from({ length: 100 }, (_, i) => i).find((i) => sim.corpus.id(i).includes("/")) ?? -1);
    expect((await fetch(`${sim.url}/documents/${slashed.split("/").map(encodeURIComponent).join("/")}`)).status).toBe(404);
    expect((await fetch(docUrl(sim.url, "no such document"))).status).toBe(404);
    expect((await fetch(docUrl(sim.url, "doc-100000"))).status).toBe(404);
    expect((await fetch(`${sim.url}/documents/`)).status).toBe(404);
    expect((await fetch(`${sim.url}/documents/%E0%A4%A`)).status).toBe(400);
    expect((await fetch(`${sim.url}/nope`)).status).toBe(404);
    expect((await fetch(`${sim.url}/documents`, { method: "POST" })).status).toBe(405);
  });

  it("has /healthz and /_sim/stats", async () => {
    expect(await getJson(`${sim.url}/healthz`)).toEqual({ status: 200, body: { ok: true } });
    const { body } = await getJson(`${sim.url}/_sim/stats`);
    expect(body).toMatchObject({ requests: expect.any(Number), documents: expect.any(Number), listings: 0 });
    expect((body as { documents: number }).documents).toBeGreaterThanOrEqual(211);
    expect(sim.stats().requests).toBeGreaterThan((body as { requests: number }).requests - 1);
  });
});

describe("token", () => {
  it("requires Authorization: Bearer <token> when started with one", async () => {
    const sim = await startLegacySim({ docs: 10, token: "s3cret" });
    try {
      const url = docUrl(sim.url, sim.corpus.id(1));
      expect((await fetch(url)).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: "s3cret" } })).status).toBe(401);
      expect((await fetch(`${sim.url}/documents`)).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: "Bearer s3cret" } })).status).toBe(200);
      expect((await fetch(`${sim.url}/documents`, { headers: { authorization: "Bearer s3cret" } })).status).toBe(200);
      expect((await fetch(`${sim.url}/healthz`)).status).toBe(200);
    } finally {
      await sim.close();
    }
  });
});
