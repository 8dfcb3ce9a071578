import cliProgress from "cli-progress";
import type { RunProgress } from "@porter/runs";
import type { LogSink } from "./log-sink.js";

export interface ProgressView {
  update(progress: RunProgress): void;
  stop(): void;
}

function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "…";
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}

/**
 * The words after the bar. While the run is still listing its total is not
 * known, so it says how many are done and how many are listed so far
 * instead of a fraction that would read as nearly done.
 */
export function progressText(p: RunProgress): string {
  const done = p.succeeded + p.failed + p.skipped;
  const count = p.listing ? `${done} done, ${p.listed} listed so far (listing…)` : `${done}/${p.listed}`;
  return `${count}${p.dryRun ? " (dry run)" : ""} | ${p.docsPerSecond.toFixed(0)} docs/s | ETA ${duration(p.etaMs)} | failed ${p.failed}`;
}

const BAR_WIDTH = 30;

/** A bar of at most BAR_WIDTH that leaves the text its room in `width` columns; none when there is no room. */
export function progressLine(p: RunProgress, width: number): string {
  const text = progressText(p);
  const room = Math.max(0, Math.min(BAR_WIDTH, width - text.length - 2));
  if (room === 0) return text.slice(0, Math.max(1, width - 1));
  const done = p.succeeded + p.failed + p.skipped;
  const share = p.listing || p.listed === 0 ? 0 : Math.min(1, done / p.listed);
  const filled = Math.round(room * share);
  return `${"█".repeat(filled)}${"░".repeat(room - filled)} ${text}`;
}

/**
 * A live bar on a terminal (done/total, docs/s, ETA, failures), fitted to
 * its width, with the log lines of `logs` written above it while it is
 * drawn; elsewhere a plain line every 10 s, so CI logs and pipes stay readable.
 */
export function createProgressView(stream: NodeJS.WriteStream = process.stderr, logs?: LogSink): ProgressView {
  if (stream.isTTY) {
    let latest: RunProgress | undefined;
    const bars = new cliProgress.MultiBar({
      stream,
      format: (_options, params) => (latest === undefined ? "" : progressLine(latest, params.maxWidth)),
      hideCursor: true,
      fps: 5,
    });
    let bar: cliProgress.SingleBar | undefined;
    return {
      update(p) {
        latest = p;
        if (bar === undefined) {
          bar = bars.create(1, 0);
          logs?.route((line) => bars.log(line.endsWith("\n") ? line : `${line}\n`));
        }
        // The value only makes the bar redraw; the line itself is drawn from `latest`.
        bar.update(p.succeeded + p.failed + p.skipped + (p.listing ? 0.5 : 0));
      },
      stop() {
        if (bar === undefined) return;
        bars.update();
        bars.stop();
        logs?.route(undefined);
      },
    };
  }
  let last = 0;
  return {
    update(p) {
      const now = Date.now();
      if (now - last < 10_000 && p.status !== "completed") return;
      last = now;
      stream.write(`progress: ${progressText(p)}\n`);
    },
    stop() {},
  };
}
