import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext } from "playwright-core";
import { createRun, recordListedPage, type Run } from "@porter/db";
import { createTestDatabase, createTestQueue, REDIS_URL, type TestDatabase, type TestQueue } from "@porter/testing";
import { openSignedInDashboard, type SignedInDashboard } from "./dashboard-process.js";

// Find a document: a legacy id's ledger rows in every run and the target row
// it became, and a prefix search, seen in Debian's chromium. Ids with a
// space, a slash and markup, so a lookup or an escape that goes wrong shows.
const PASSWORD = "search-test-password";
const FAILED_THEN_FIXED = "a/b <i>c</i>";
const ONCE = "a/b d";
const OTHER = "zz-1";

describe("the dashboard finds a document", () => {
  let db: TestDatabase;
  let queue: TestQueue;
  let signedIn: SignedInDashboard | undefined;
  let context: BrowserContext;
  let baseUrl: string;
  let first: Run;
  let second: Run;

  beforeAll(async () => {
    db = await createTestDatabase("porter_dashboard_search");
    queue = createTestQueue("porter_dashboard_search");
    first = await createRun(db.pool, {});
    await recordListedPage(db.pool, first.id, [FAILED_THEN_FIXED, ONCE, OTHER]);
    await db.pool.query(
      `UPDATE service_imports SET status = 'failed', attempts = 5, error_kind = 'http_5xx', error_stage = 'fetch',
              last_error = 'legacy service answered 503', stacktrace = 'ImportFailure: legacy service answered 503\n    at fetch', finished_at = now()
        WHERE run_id = $1 AND legacy_id = $2`,
      [first.id, FAILED_THEN_FIXED],
    );
    await db.pool.query("UPDATE service_imports SET status = 'succeeded', attempts = 1, finished_at = now() WHERE run_id = $1 AND legacy_id <> $2", [
      first.id,
      FAILED_THEN_FIXED,
    ]);
    await db.pool.query("UPDATE import_runs SET status = 'completed', started_at = now() - interval '1 hour', finished_at = now() WHERE id = $1", [first.id]);
    second = await createRun(db.pool, {});
    await recordListedPage(db.pool, second.id, [FAILED_THEN_FIXED]);
    await db.pool.query("UPDATE service_imports SET status = 'succeeded', attempts = 2, finished_at = now() WHERE run_id = $1", [second.id]);
    await db.pool.query("UPDATE import_runs SET status = 'completed', finished_at = now() WHERE id = $1", [second.id]);
    await db.pool.query(
      `INSERT INTO documents (legacy_id, title, body, author_id, author_name, tags, created_at, updated_at, run_id, transform_version)
       VALUES ($1, 'Fixed', 'b', 'a1', 'Ann', '{}', now(), '2026-01-02T03:04:05Z', $3, 7),
              ($2, 'Once', 'b', 'a1', 'Ann', '{}', now(), now(), $4, 7)`,
      [FAILED_THEN_FIXED, ONCE, second.id, first.id],
    );
    signedIn = await openSignedInDashboard({
      DATABASE_URL: db.url,
      REDIS_URL,
      QUEUE_PREFIX: queue.prefix,
    }, PASSWORD);
    ({ url: baseUrl, context } = signedIn);
  }, 120_000);

  afterAll(async () => {
    await signedIn?.close();
    await queue?.drop();
    await db?.drop();
  });

  it("by exact id: its row in each run, newest first, the failure with its stack, and the target row", async () => {
    const page = await context.newPage();
    await page.goto(`${baseUrl}/`);
    // The header's link, then the form, as a user gets there.
    await page.getByRole("link", { name: "Find a document" }).click();
    await page.getByLabel("legacy id").fill(FAILED_THEN_FIXED);
    await page.getByRole("button", { name: "Find" }).click();
    await page.waitForURL("**/documents?id=*");
    const sections = page.locator("section.document");
    expect(await sections.count()).toBe(1);
    const section = sections.first();
    expect(await section.getAttribute("data-legacy-id")).toBe(FAILED_THEN_FIXED);
    expect(await section.locator("h2 code").textContent()).toBe(FAILED_THEN_FIXED);
    const rows = section.locator("tbody tr");
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-run")))).toEqual([second.id, first.id]);
    expect(await rows.nth(0).locator(".status").textContent()).toBe("succeeded");
    const failed = rows.nth(1);
    expect(await failed.locator(".status").textContent()).toBe("failed");
    expect(await failed.locator("td").evaluateAll((tds) => tds.slice(2, 5).map((td) => td.textContent))).toEqual(["5", "http_5xx", "fetch"]);
    expect(await failed.textContent()).toContain("legacy service answered 503");
    await failed.locator("summary").click();
    expect(await failed.locator("details pre").textContent()).toContain("ImportFailure: legacy service answered 503");
    const target = section.locator(".target");
    expect(await target.textContent()).toContain("“Fixed”, updated 2026-01-02 03:04:05");
    expect(await target.locator("a").getAttribute("href")).toBe(`/runs/${second.id}`);
    await page.close();
  });

  it("by prefix: each document of the target that starts so; an unknown id is said to be nowhere", async () => {
    const page = await context.newPage();
    await page.goto(`${baseUrl}/documents?id=${encodeURIComponent("a/b ")}&prefix=1`);
    const ids = await page.locator("section.document").evaluateAll((ss) => ss.map((s) => s.getAttribute("data-legacy-id")));
    expect(ids).toEqual([FAILED_THEN_FIXED, ONCE]);
    expect(await page.locator("form.search input[name=prefix]").isChecked()).toBe(true);
    // % is a plain character, not a wildcard.
    await page.goto(`${baseUrl}/documents?id=${encodeURIComponent("a%")}&prefix=1`);
    expect(await page.locator("section.document").count()).toBe(0);
    expect(await page.locator("main").textContent()).toContain("No document in the target starts with a%");

    await page.goto(`${baseUrl}/documents?id=never-listed`);
    const none = page.locator("section.document");
    expect(await none.locator(".target").textContent()).toBe("Not in the target.");
    expect(await none.textContent()).toContain("No run has listed it.");
    await page.close();
  });
});
