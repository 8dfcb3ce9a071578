import { spawnPorter, type PorterProcess } from "./porter-process.js";
import { waitFor } from "./wait-for.js";

/** `porter legacy-sim` as a real process on a free port; resolves once it listens. */
export async function startLegacySimProcess(
  args: string[],
  options: { timeoutMs?: number } = {},
): Promise<{ url: string; process: PorterProcess }> {
  const sim = spawnPorter(["legacy-sim", "--port", "0", ...args], { LOG_LEVEL: "info" });
  const url = await waitFor(
    "the legacy simulator to listen",
    () => {
      if (sim.child.exitCode !== null) throw new Error(`legacy-sim exited: ${sim.stderr()}`);
      const line = sim.stdout().split("\n").find((l) => l.includes('"legacy-sim listening"'));
      return line ? (JSON.parse(line) as { url: string }).url : undefined;
    },
    { timeoutMs: options.timeoutMs ?? 60_000 },
  );
  return { url, process: sim };
}
