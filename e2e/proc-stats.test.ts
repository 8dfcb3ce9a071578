import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { ProcessSampler, cpuSeconds } from "../bench/src/proc-stats.js";

// The bench reads every process's CPU from /proc. A short run's Redis spends a
// few milliseconds, less than a clock tick (10 ms): counted in ticks, it reads
// 0 or 0.01 s at random. This child spends 3 ms of CPU between two samples.
const BURN = `
process.stdin.once("data", () => {
  const start = process.cpuUsage();
  for (;;) {
    const used = process.cpuUsage(start);
    if (used.user + used.system >= 3000) break;
  }
  process.stdout.write("done\\n");
});
process.stdout.write("ready\\n");
`;

async function line(child: ReturnType<typeof spawn>): Promise<string> {
  const [chunk] = (await once(child.stdout as NodeJS.ReadableStream, "data")) as [Buffer];
  return chunk.toString().trim();
}

describe("the bench's CPU reading", () => {
  it("counts a process's few milliseconds of CPU, below a clock tick", async () => {
    const child = spawn(process.execPath, ["-e", BURN], { stdio: ["pipe", "pipe", "inherit"] });
    try {
      expect(await line(child)).toBe("ready");
      const sampler = new ProcessSampler();
      sampler.add("child", () => [child.pid as number]);
      sampler.start(60_000);
      const before = cpuSeconds(child.pid as number) as number;
      child.stdin?.write("go\n");
      expect(await line(child)).toBe("done");
      const spent = (cpuSeconds(child.pid as number) as number) - before;
      const group = sampler.stop().child?.cpuSeconds;
      // 3 ms burnt, plus reading a line and writing one.
      expect(spent).toBeGreaterThanOrEqual(0.003);
      expect(spent).toBeLessThan(0.01);
      expect(group).toBeGreaterThanOrEqual(0.003);
      expect(group).toBeLessThan(0.01);
    } finally {
      child.kill();
    }
  });

  it("reads a process that is gone as undefined", async () => {
    const child = spawn(process.execPath, ["-e", ""]);
    await once(child, "exit");
    expect(cpuSeconds(child.pid as number)).toBeUndefined();
  });
});
