import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, createTestQueue, REDIS_URL, type TestDatabase, type TestQueue } from "@porter/testing";

// `porter demo` on a real terminal (a pseudo-terminal from util-linux's
// `script`), 80 columns wide: the progress bar is redrawn in place, log lines
// go above it, not onto it, and every drawn line fits the width.
const PORTER = fileURLToPath(new URL("../apps/cli/bin/porter.js", import.meta.url));
const COLUMNS = 80;
const run = promisify(execFile);

// The terminal's control sequences the bar writes: cursor to column 1, clear to the right, clear the line.
const ESC = String.fromCharCode(0x1b);
const REDRAW = new RegExp(`${ESC}\\[1G([^${ESC}\\n]+)${ESC}\\[0K`, "g");
const LINE_START = new RegExp(`(${ESC}\\[2K|\\n)$`);

/** The text of every redraw of the bar: what is written between "cursor to column 1" and "clear to the right". */
function redraws(screen: string): string[] {
  return [...screen.matchAll(REDRAW)].map((m) => m[1] as string);
}

describe("the progress bar on a terminal", () => {
  let db: TestDatabase;
  let queue: TestQueue;

  beforeAll(async () => {
    db = await createTestDatabase("porter_e2e_tty");
    queue = createTestQueue("porter_e2e_tty");
  });

  afterAll(async () => {
    await queue?.drop();
    await db?.drop();
  });

  it("fits 80 columns, shows no total while listing, and puts log lines above the bar", async () => {
    const command = `stty cols ${COLUMNS} rows 24; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(PORTER)} demo --docs 3000 --workers 1`;
    const { stdout: screen } = await run("script", ["-qfec", command, "/dev/null"], {
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        REDIS_URL,
        QUEUE_PREFIX: queue.prefix,
        // The enqueuer's info lines ("listing done") are what must not land on the bar.
        LOG_LEVEL: "info",
        LIST_PAGE_SIZE: "100",
      },
      timeout: 120_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(screen).toMatch(/run [0-9a-f-]{36} completed: 3000 succeeded, 0 failed of 3000 listed/);

    const bars = redraws(screen);
    expect(bars.length).toBeGreaterThan(1);
    for (const bar of bars) {
      expect([...bar].length, bar).toBeLessThanOrEqual(COLUMNS);
      expect(bar, "the failure count is never cut off").toMatch(/\| failed \d+$/);
      // Until the listing is over the total is unknown: no fraction that would read as nearly done.
      if (bar.includes("(listing…)")) expect(bar).toMatch(/ \d+ done, \d+ listed so far \(listing…\) \|/);
      else expect(bar).toMatch(/ \d+\/3000 \|/);
    }
    expect(bars.at(-1)).toMatch(/^█+ 3000\/3000 \|/);

    // Each JSON log line starts on a cleared line of its own and ends it; the bar is drawn again below.
    const logLines = [...screen.matchAll(/\{"level":\d+[^\n]*/g)];
    expect(logLines.some((m) => m[0].includes('"msg":"listing done"'))).toBe(true);
    for (const m of logLines) {
      const before = screen.slice(Math.max(0, (m.index ?? 0) - 4), m.index);
      expect(before, m[0]).toMatch(LINE_START);
      expect(m[0]).toMatch(/\}\r?$/);
    }
    expect(screen).not.toContain('"msg":"run started"');
  }, 150_000);
});
