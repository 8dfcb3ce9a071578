import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderMarkdown, type BenchResult } from "../bench/src/report.js";

// A committed result of a full run, with the re-runs left out as `--no-rerun` leaves them.
const FULL = JSON.parse(
  readFileSync(new URL("../bench/results/2026-12-02T05-00-27-195Z.json", import.meta.url), "utf8"),
) as BenchResult;

describe("the bench report's archive and re-runs section", () => {
  it("describes the re-runs of a full run", () => {
    const markdown = renderMarkdown(FULL);
    expect(markdown).toContain("`porter run --changed` (same corpus)");
    expect(markdown).toContain("with 1% touched");
    expect(markdown).toContain("`--from-archive --of <cold run>`");
  });

  it("names only what ran: with --no-rerun, the cold run with ARCHIVE=off and nothing of --changed or --from-archive", () => {
    const { changedUnchanged: _u, changedTouched: _t, replay: _r, ...rest } = FULL;
    const markdown = renderMarkdown({ ...rest, touch: undefined });
    const heading = markdown.split("\n").find((line) => line.startsWith("Page archive")) ?? "";
    expect(heading).toContain("`ARCHIVE=off`");
    expect(heading).not.toContain("touched");
    expect(heading).not.toContain("--changed");
    expect(heading).not.toContain("--from-archive");
  });
});
