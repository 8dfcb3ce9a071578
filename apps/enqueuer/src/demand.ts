import { queueDepth, type ImportQueue } from "@porter/queue";
import { between, sleep } from "./sleep.js";

export interface DemandOptions {
  highWater: number;
  /** Wait after a poll that found room (some demand was met): [min, max] ms. */
  soonMs?: [number, number];
  /** Wait after a poll that found none: [min, max] ms. */
  laterMs?: [number, number];
  random?: () => number;
  /** How the depth is read; default queueDepth (enqueue-run passes it through its store retry). */
  depth?: () => Promise<number>;
}

/**
 * Demand-driven listing, as the original GenStage producer did it: the
 * enqueuer asks how much room the queue has before it lists more. While the
 * queue is at its high-water mark it polls again — soon (1–2 s) when the
 * previous poll met some demand, later (5–10 s) when it met none. Polls are
 * awaited one after the other, so there is never a second timer.
 */
export class Demand {
  private metLastTime = true;
  private readonly soonMs: [number, number];
  private readonly laterMs: [number, number];
  private readonly random: () => number;

  constructor(
    private readonly queue: ImportQueue,
    private readonly options: DemandOptions,
  ) {
    this.soonMs = options.soonMs ?? [1_000, 2_000];
    this.laterMs = options.laterMs ?? [5_000, 10_000];
    this.random = options.random ?? Math.random;
  }

  /** Resolves with how many jobs may be added now (at least 1). */
  async room(signal?: AbortSignal): Promise<number> {
    for (;;) {
      const depth = await (this.options.depth ? this.options.depth() : queueDepth(this.queue));
      const room = this.options.highWater - depth;
      if (room > 0) {
        this.metLastTime = true;
        return room;
      }
      const [min, max] = this.metLastTime ? this.soonMs : this.laterMs;
      this.metLastTime = false;
      await sleep(between(min, max, this.random), signal);
    }
  }
}
