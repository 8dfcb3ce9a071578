import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpSource } from "@porter/source";
import { waitFor } from "@porter/testing";
import { ByteBudget } from "../src/byte-budget.js";

const never = new AbortController().signal;

/** Settles to "granted" or "waiting" after the microtasks of this turn. */
async function state(p: Promise<void>): Promise<"granted" | "waiting" | "rejected"> {
  let s: "granted" | "waiting" | "rejected" = "waiting";
  p.then(
    () => (s = "granted"),
    () => (s = "rejected"),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return s;
}

describe("ByteBudget", () => {
  it("grants within the limit at once; a new page waits once it is spent and goes on when bytes are freed", async () => {
    const budget = new ByteBudget(100);
    const a = budget.open();
    const b = budget.open();
    expect(await state(a.reserve(60, never))).toBe("granted");
    const waiting = b.reserve(50, never);
    expect(await state(waiting)).toBe("waiting");
    expect(budget.waiters).toBe(1);
    a.release();
    expect(await state(waiting)).toBe("granted");
    expect(budget.inUse).toBe(50);
    expect(b.held).toBe(50);
  });

  it("serves new pages in arrival order: small ones do not overtake a large one", async () => {
    const budget = new ByteBudget(100);
    const first = budget.open();
    await first.reserve(90, never);
    const large = budget.open().reserve(80, never);
    const small = budget.open().reserve(5, never);
    expect(await state(large)).toBe("waiting");
    expect(await state(small)).toBe("waiting");
    first.release();
    expect(await state(large)).toBe("granted");
    expect(await state(small)).toBe("granted");
  });

  it("never deadlocks: when pages holding the whole budget all want more, the oldest goes on, one page over at most", async () => {
    const budget = new ByteBudget(100);
    const a = budget.open();
    const b = budget.open();
    await a.reserve(50, never);
    await b.reserve(50, never);
    // b is not the oldest: it waits; a is, so it is granted beyond the limit.
    const bMore = b.reserve(10, never);
    expect(await state(bMore)).toBe("waiting");
    expect(await state(a.reserve(30, never))).toBe("granted");
    expect(budget.inUse).toBe(130);
    // A new page waits while the budget is over.
    const c = budget.open();
    const cFirst = c.reserve(1, never);
    expect(await state(cFirst)).toBe("waiting");
    a.release();
    // b is now the oldest, and c fits beside it.
    expect(await state(bMore)).toBe("granted");
    expect(await state(cFirst)).toBe("granted");
    expect(budget.inUse).toBe(61);
  });

  it("gives a page larger than the whole budget all of it when nothing else is held", async () => {
    const budget = new ByteBudget(100);
    const other = budget.open();
    await other.reserve(1, never);
    const huge = budget.open().reserve(500, never);
    expect(await state(huge)).toBe("waiting");
    other.release();
    expect(await state(huge)).toBe("granted");
  });

  it("rejects a wait when its signal aborts, and lets the pages behind it go", async () => {
    const budget = new ByteBudget(100);
    const a = budget.open();
    await a.reserve(95, never);
    const controller = new AbortController();
    const big = budget.open().reserve(50, controller.signal);
    const small = budget.open().reserve(5, never);
    expect(await state(small)).toBe("waiting");
    controller.abort(new Error("attempt timed out"));
    await expect(big).rejects.toThrow("attempt timed out");
    expect(await state(small)).toBe("granted");
    expect(budget.waiters).toBe(0);
  });

  it("rejects a pending wait on release, frees everything once, and refuses reserving after", async () => {
    const budget = new ByteBudget(10);
    const a = budget.open();
    await a.reserve(10, never);
    const b = budget.open();
    await b.reserve(0, never);
    const c = budget.open();
    const pending = c.reserve(5, never);
    c.release();
    await expect(pending).rejects.toThrow("released while it waited");
    a.release();
    a.release();
    expect(budget.inUse).toBe(0);
    await expect(a.reserve(1, never)).rejects.toThrow("already released");
  });
});

describe("ByteBudget with the HTTP source", () => {
  const MiB = 1024 * 1024;
  // Larger than what the kernel's socket buffers and undici's stream hold, so a body nobody reads stalls the server.
  const PAGE = Buffer.alloc(32 * MiB, "a");
  let server: Server;
  let url: string;
  const finished = new Map<string, boolean>();

  beforeAll(async () => {
    server = createServer((req, res: ServerResponse) => {
      const id = (req.url ?? "").split("/").pop() ?? "";
      finished.set(id, false);
      res.on("finish", () => finished.set(id, true));
      if (id.startsWith("chunked")) {
        res.writeHead(200, { "content-type": "text/html" });
        for (let at = 0; at < PAGE.length; at += MiB) res.write(PAGE.subarray(at, at + MiB));
        res.end();
      } else {
        res.writeHead(200, { "content-type": "text/html", "content-length": String(PAGE.length) });
        res.end(PAGE);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it.each(["declared", "chunked"])("leaves a %s body unread while the budget is spent, and reads it once bytes are freed", async (kind) => {
    const source = createHttpSource({ url, connections: 2, maxPageBytes: 64 * MiB });
    try {
      const budget = new ByteBudget(PAGE.length);
      const first = budget.open();
      expect((await source.fetchPage(`${kind}-1`, AbortSignal.timeout(30_000), first)).bytes.length).toBe(PAGE.length);
      expect(first.held).toBe(PAGE.length);

      const second = budget.open();
      const page = source.fetchPage(`${kind}-2`, AbortSignal.timeout(30_000), second);
      await waitFor("the second page to wait for the budget", () => (budget.waiters === 1 ? true : undefined));
      // Back-pressure reaches the server: it cannot hand the whole body to the kernel.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(finished.get(`${kind}-2`)).toBe(false);
      expect(second.held).toBeLessThan(PAGE.length / 2);

      first.release();
      expect((await page).bytes.length).toBe(PAGE.length);
      expect(second.held).toBe(PAGE.length);
      expect(budget.inUse).toBe(PAGE.length);
    } finally {
      await source.close();
    }
  });
});
