import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { cancelRun, createRun, recordListedPage, type ListedId, type Run, type RunKind } from "@porter/db";
import { TRANSFORM_VERSION } from "@porter/source";
import {
  createTestDatabase,
  createTestQueue,
  REDIS_URL,
  type PorterProcess,
  type TestDatabase,
  type TestQueue,
} from "@porter/testing";
import { launchChromium, startDashboard } from "./dashboard-process.js";

// A run's page says what kind of run it is (where it read, changed-only, dry)
// and shows the counts that go with it: the skipped ones of a changed-only run,
// the projection of a dry run; a replay links to the run it replays. The runs
// are made directly in the ledger of a test database, with the numbers of each
// status and projection chosen distinct so that a count shown in the wrong
// place fails; then each page is opened in Debian's chromium, read, and read
// again after the page's own live refresh has replaced the summary.
const PASSWORD = "run-kinds-test-password";
const STAMP = "2026-03-01T10:00:00.000Z";
const LISTED = 20;
/** doc-0 … doc-13 are in the target, written by the base run; doc-12 and doc-13 with another updatedAt. */
const IN_TARGET = 14;
const UNCHANGED = 12;
const STAMPED = /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/.source;

const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `doc-${from + i}`);
/** The listing's entries for doc-0 … doc-(LISTED-1), each with STAMP as its updatedAt. */
const listing = (): ListedId[] => ids(0, LISTED).map((id) => ({ id, updatedAt: STAMP, comparable: true }));

/** What a run page's live summary shows, read from the browser. */
interface Shown {
  status: string;
  /** The muted line up to " · started": the run's kind. */
  kind: string;
  /** The muted line from " · started" on: both timestamps set. */
  times: boolean;
  link: { text: string; href: string | null } | null;
  counts: Record<string, string>;
  projection: string | null;
  bar: { valueNow: string | null; ok: string | null; same: string | null; bad: string | null };
}

describe("a run's page says its kind and its counts", () => {
  let db: TestDatabase;
  let queue: TestQueue;
  let dashboard: PorterProcess;
  let browser: Browser;
  let context: BrowserContext;
  let baseUrl: string;
  let base: Run;
  let changed: Run;
  let dry: Run;
  let replay: Run;
  let dryChangedReplay: Run;
  let cancelled: Run;

  /** Sets `set` on the run's ledger rows for the given legacy ids. */
  const mark = async (run: Run, legacyIds: string[], set: string) => {
    const { rowCount } = await db.pool.query(
      `UPDATE service_imports SET ${set}, finished_at = now(), updated_at = now() WHERE run_id = $1 AND legacy_id = ANY($2)`,
      [run.id, legacyIds],
    );
    expect(rowCount).toBe(legacyIds.length);
  };
  const fail = (run: Run, legacyIds: string[], kind: string) =>
    mark(run, legacyIds, `status = 'failed', attempts = 1, error_kind = '${kind}', error_stage = 'fetch', last_error = '${kind} here'`);
  const succeed = (run: Run, legacyIds: string[], projection?: "new" | "changed" | "unchanged") =>
    mark(run, legacyIds, `status = 'succeeded', attempts = 1${projection ? `, projection = '${projection}'` : ""}`);
  const finish = async (run: Run) => {
    await db.pool.query("UPDATE import_runs SET status = 'completed', listed_at = now(), finished_at = now() WHERE id = $1", [run.id]);
  };
  /** A run of `kind` that listed doc-0 … doc-19; a changed-only one skips what the target holds unchanged. */
  const listedRun = async (kind: RunKind) => {
    const run = await createRun(db.pool, { test: "dashboard-run-kinds" }, kind);
    const page = await recordListedPage(
      db.pool,
      run.id,
      listing(),
      null,
      kind.changedOnly ? { skipUnchanged: { transformVersion: TRANSFORM_VERSION } } : {},
    );
    expect(page.listed).toBe(LISTED);
    return run;
  };
  /** The run's ledger by status: what the page must agree with. */
  const ledger = async (run: Run) => {
    const { rows } = await db.pool.query<{ status: string; n: number }>(
      "SELECT status::text, count(*)::int AS n FROM service_imports WHERE run_id = $1 GROUP BY 1",
      [run.id],
    );
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  };

  beforeAll(async () => {
    db = await createTestDatabase("porter_dashboard_kinds");
    queue = createTestQueue("porter_dashboard_kinds");

    // A full run of the legacy service that wrote doc-0 … doc-13 at this transform version.
    base = await listedRun({});
    await succeed(base, ids(0, LISTED));
    await finish(base);
    await db.pool.query(
      `INSERT INTO documents (legacy_id, title, body, author_id, author_name, tags, created_at, updated_at, run_id, transform_version)
       SELECT 'doc-' || i, 'title ' || i, 'body', 'a1', 'Ann', '{}', $2::timestamptz,
              CASE WHEN i < $3 THEN $2::timestamptz ELSE $2::timestamptz - interval '1 day' END, $1, $4
         FROM generate_series(0, $5 - 1) AS i`,
      [base.id, STAMP, UNCHANGED, TRANSFORM_VERSION, IN_TARGET],
    );

    // Changed-only: doc-0 … doc-11 skipped by the listing itself; of the 8 fetched, 5 succeed and 3 fail.
    changed = await listedRun({ changedOnly: true });
    await succeed(changed, ids(12, 17));
    await fail(changed, ids(17, 20), "not_found");
    await finish(changed);
    expect(await ledger(changed)).toEqual({ skipped: 12, succeeded: 5, failed: 3 });

    // Dry run: 6 would be new, 4 changed, 3 unchanged; 7 fail (4 invalid_json, 3 not_found).
    dry = await listedRun({ dryRun: true });
    await succeed(dry, ids(0, 3), "unchanged");
    await succeed(dry, ids(3, 7), "changed");
    await succeed(dry, ids(7, 13), "new");
    await fail(dry, ids(13, 17), "invalid_json");
    await fail(dry, ids(17, 20), "not_found");
    await finish(dry);
    expect(await ledger(dry)).toEqual({ succeeded: 13, failed: 7 });

    // A replay of the dry run: 18 succeed, 2 fail.
    replay = await listedRun({ replayOf: dry.id });
    await succeed(replay, ids(0, 18));
    await fail(replay, ids(18, 20), "invalid_json");
    await finish(replay);

    // All three at once: a dry, changed-only replay of the changed-only run.
    dryChangedReplay = await listedRun({ replayOf: changed.id, changedOnly: true, dryRun: true });
    await succeed(dryChangedReplay, ids(12, 14), "changed");
    await succeed(dryChangedReplay, ids(14, 20), "new");
    await finish(dryChangedReplay);
    expect(await ledger(dryChangedReplay)).toEqual({ skipped: 12, succeeded: 8 });

    // Cancelled while listing, after 7 documents succeeded: the other 13 are cancelled.
    cancelled = await listedRun({});
    await succeed(cancelled, ids(0, 7));
    expect(await cancelRun(db.pool, cancelled.id)).toEqual({ was: "listing", rows: 13 });

    ({ process: dashboard, url: baseUrl } = await startDashboard({
      DATABASE_URL: db.url,
      REDIS_URL,
      QUEUE_PREFIX: queue.prefix,
      DASHBOARD_PASSWORD: PASSWORD,
    }));
    browser = await launchChromium();
    context = await browser.newContext({ httpCredentials: { username: "admin", password: PASSWORD } });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await dashboard?.stop();
    await queue?.drop();
    await db?.drop();
  });

  /** Reads the live summary of the run page open in `page`. */
  async function shown(page: Page): Promise<Shown> {
    const live = page.locator("#live > p.nums");
    const muted = (await live.locator("> .muted").textContent()) ?? "";
    const at = muted.indexOf(" · started ");
    const links = live.locator("> .muted a");
    const counts: Record<string, string> = {};
    for (const el of await live.locator("[data-count]").all()) {
      counts[(await el.getAttribute("data-count")) ?? "?"] = (await el.textContent()) ?? "";
    }
    const projection = live.locator("> .projection");
    const bar = page.locator('#live > [role="progressbar"]');
    const width = (segment: string) => bar.locator(`> span.${segment}`).getAttribute("style");
    return {
      status: (await live.locator("> .status").textContent()) ?? "",
      kind: at < 0 ? muted : muted.slice(0, at),
      times: new RegExp(` · started ${STAMPED} · finished ${STAMPED}$`).test(muted),
      link: (await links.count()) === 0 ? null : { text: (await links.textContent()) ?? "", href: await links.getAttribute("href") },
      counts,
      projection: (await projection.count()) === 0 ? null : await projection.textContent(),
      bar: { valueNow: await bar.getAttribute("aria-valuenow"), ok: await width("ok"), same: await width("same"), bad: await width("bad") },
    };
  }

  /**
   * Opens the run's page and expects `expected` of its summary, as served and
   * again once the page's script has replaced it from ?fragment=live.
   */
  async function expectRunPage(run: Run, expected: Shown): Promise<Page> {
    const page = await context.newPage();
    const response = await page.goto(`${baseUrl}/runs/${run.id}`);
    expect(response?.status()).toBe(200);
    await expect(page.locator("h1 code").textContent()).resolves.toBe(run.id);
    expect(await shown(page), "as served").toEqual(expected);
    // Mark the summary; the live refresh replaces it with an unmarked one.
    await page.evaluate(`document.querySelector("#live > p.nums").setAttribute("data-stale", "")`);
    await page.locator("#live > p.nums:not([data-stale])").waitFor({ timeout: 10_000 });
    expect(await shown(page), "after the live refresh").toEqual(expected);
    return page;
  }

  const width = (n: number) => `width:${((100 * n) / LISTED).toFixed(2)}%`;

  it("a changed-only run: from the legacy service, changed documents only, with its skipped count", async () => {
    const page = await expectRunPage(changed, {
      status: "completed",
      kind: "from the legacy service, changed documents only",
      times: true,
      link: null,
      counts: { succeeded: "5", failed: "3", skipped: "12", left: "0" },
      projection: null,
      bar: { valueNow: "20", ok: width(5), same: width(12), bad: width(3) },
    });
    await expect(page.locator("#live > p.nums").textContent()).resolves.toMatch(/\b12 unchanged \(skipped\)/);
    // The page's own stylesheet gives the skipped segment its colour and its width of the bar.
    const same = page.locator('#live > [role="progressbar"] > span.same');
    await expect(page.evaluate(`getComputedStyle(document.querySelector('#live > [role="progressbar"] > span.same')).backgroundColor`)).resolves.toBe("rgb(140, 233, 154)");
    const [bar, segment] = await Promise.all([page.locator('#live > [role="progressbar"]').boundingBox(), same.boundingBox()]);
    expect(segment?.width).toBeCloseTo(((bar?.width ?? 0) * UNCHANGED) / LISTED, 0);
    await page.close();
  });

  it("a dry run: nothing written, what a real run would insert, update and find unchanged, and its failures by kind", async () => {
    const page = await expectRunPage(dry, {
      status: "completed",
      kind: "dry run (nothing written), from the legacy service",
      times: true,
      link: null,
      counts: { succeeded: "13", failed: "7", skipped: "0", left: "0", new: "6", changed: "4", unchanged: "3" },
      projection: "A real run would insert 6, update 4 and find 3 unchanged; 7 would fail (by kind below).",
      bar: { valueNow: "20", ok: width(13), same: width(0), bad: width(7) },
    });
    await expect(page.locator('h3[data-kind="invalid_json"]').textContent()).resolves.toContain("— 4");
    await expect(page.locator('h3[data-kind="not_found"]').textContent()).resolves.toContain("— 3");
    await page.close();
  });

  it("a replay: says which run it replays from the archive, and its link leads to that run's page", async () => {
    const page = await expectRunPage(replay, {
      status: "completed",
      kind: `replay of ${dry.id.slice(0, 8)} from the archive`,
      times: true,
      link: { text: dry.id.slice(0, 8), href: `/runs/${dry.id}` },
      counts: { succeeded: "18", failed: "2", skipped: "0", left: "0" },
      projection: null,
      bar: { valueNow: "20", ok: width(18), same: width(0), bad: width(2) },
    });
    await page.locator("#live > p.nums > .muted a").click();
    await page.waitForURL(`${baseUrl}/runs/${dry.id}`);
    await expect(page.locator("h1 code").textContent()).resolves.toBe(dry.id);
    const after = await shown(page);
    expect(after.kind).toBe("dry run (nothing written), from the legacy service");
    expect(after.counts).toMatchObject({ new: "6", changed: "4", unchanged: "3" });
    await page.close();
  });

  it("a dry, changed-only replay says all three, with both its skipped count and its projection", async () => {
    const page = await expectRunPage(dryChangedReplay, {
      status: "completed",
      kind: `dry run (nothing written), replay of ${changed.id.slice(0, 8)} from the archive, changed documents only`,
      times: true,
      link: { text: changed.id.slice(0, 8), href: `/runs/${changed.id}` },
      counts: { succeeded: "8", failed: "0", skipped: "12", left: "0", new: "6", changed: "2", unchanged: "0" },
      projection: "A real run would insert 6, update 2 and find 0 unchanged, besides the 12 skipped; 0 would fail (by kind below).",
      bar: { valueNow: "20", ok: width(8), same: width(12), bad: width(0) },
    });
    await page.locator("#live > p.nums > .muted a").click();
    await page.waitForURL(`${baseUrl}/runs/${changed.id}`);
    await expect(page.locator("#live > p.nums > .muted").textContent()).resolves.toMatch(/^from the legacy service, changed documents only · /);
    await page.close();
  });

  it("a full run of the legacy service says so, with nothing skipped and no projection", async () => {
    const page = await expectRunPage(base, {
      status: "completed",
      kind: "from the legacy service",
      times: true,
      link: null,
      counts: { succeeded: "20", failed: "0", skipped: "0", left: "0" },
      projection: null,
      bar: { valueNow: "20", ok: width(20), same: width(0), bad: width(0) },
    });
    await page.close();
  });

  it("a cancelled run says so, with its cancelled count and nothing left", async () => {
    const page = await expectRunPage(cancelled, {
      status: "cancelled",
      kind: "from the legacy service",
      times: true,
      link: null,
      counts: { succeeded: "7", failed: "0", skipped: "0", left: "0", cancelled: "13" },
      projection: null,
      bar: { valueNow: "7", ok: width(7), same: width(0), bad: width(0) },
    });
    await page.close();
  });

  it("the runs list tags each kind of run and counts its skipped documents", async () => {
    const page = await context.newPage();
    expect((await page.goto(`${baseUrl}/`))?.status()).toBe(200);
    const row = async (run: Run) => {
      const tr = page.locator(`tr[data-run="${run.id}"]`);
      return {
        tags: await tr.locator(".tag").allTextContents(),
        skipped: await tr.locator('[data-count="skipped"]').textContent(),
      };
    };
    expect(await row(base)).toEqual({ tags: [], skipped: "0" });
    expect(await row(changed)).toEqual({ tags: ["changed only"], skipped: "12" });
    expect(await row(dry)).toEqual({ tags: ["dry run"], skipped: "0" });
    expect(await row(replay)).toEqual({ tags: ["replay"], skipped: "0" });
    expect(await row(dryChangedReplay)).toEqual({ tags: ["dry run", "replay", "changed only"], skipped: "12" });
    await page.close();
  });
});
