import { chromium, type Browser } from "playwright-core";
import { spawnPorter, waitFor, type PorterProcess } from "@porter/testing";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** `porter dashboard` on a free port with `env`; resolves with its URL once it listens. */
export async function startDashboard(env: Record<string, string>): Promise<{ process: PorterProcess; url: string }> {
  const dashboard = spawnPorter(["dashboard"], { ...env, PORT: "0", LOG_LEVEL: "info" });
  const url = await waitFor("the dashboard to listen", () => {
    const line = dashboard.stdout().split("\n").find((l) => l.includes('"dashboard listening"'));
    return line ? (JSON.parse(line) as { url: string }).url : undefined;
  });
  return { process: dashboard, url };
}

/**
 * Debian's chromium, headless. Without the background-networking flags it
 * keeps trying this machine's closed network.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"],
  });
}
