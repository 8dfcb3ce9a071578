import cliProgress from "cli-progress";
import type { RunProgress } from "@porter/runs";

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
 * A live bar on a terminal (done/total, docs/s, ETA, failures); elsewhere a
 * plain line every 10 s, so CI logs and pipes stay readable.
 */
export function createProgressView(stream: NodeJS.WriteStream = process.stderr): ProgressView {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: "{bar} {value}/{total}{listing} | {rate} docs/s | ETA {eta_text} | failed {failed}",
        hideCursor: true,
        barsize: 30,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(p) {
        const payload = {
          rate: p.docsPerSecond.toFixed(0),
          eta_text: duration(p.etaMs),
          failed: p.failed,
          listing: `${p.listing ? " (listing…)" : ""}${p.dryRun ? " (dry run)" : ""}`,
        };
        const done = p.succeeded + p.failed + p.skipped;
        if (!started) {
          bar.start(Math.max(p.listed, 1), done, payload);
          started = true;
        }
        bar.setTotal(Math.max(p.listed, 1));
        bar.update(done, payload);
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let last = 0;
  return {
    update(p) {
      const now = Date.now();
      if (now - last < 10_000 && p.status !== "completed") return;
      last = now;
      const done = p.succeeded + p.failed + p.skipped;
      stream.write(
        `progress${p.dryRun ? " (dry run)" : ""}: ${done}/${p.listed}${p.listing ? " (listing…)" : ""} ${p.docsPerSecond.toFixed(0)} docs/s, ` +
          `ETA ${duration(p.etaMs)}, failed ${p.failed}\n`,
      );
    },
    stop() {},
  };
}
