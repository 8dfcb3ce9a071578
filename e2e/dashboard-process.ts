import { chromium, type Browser, type BrowserContext } from "playwright-core";
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

/** A dashboard with a password, and a chromium context signed in to it: what a browser test of its pages starts from. */
export interface SignedInDashboard {
  url: string;
  context: BrowserContext;
  /** Closes the context and the browser, and stops the dashboard. */
  close(): Promise<void>;
}

export async function openSignedInDashboard(env: Record<string, string>, password: string): Promise<SignedInDashboard> {
  const { process: dashboard, url } = await startDashboard({ ...env, DASHBOARD_PASSWORD: password });
  const browser = await launchChromium().catch(async (err: unknown) => {
    await dashboard.stop();
    throw err;
  });
  const context = await browser.newContext({ httpCredentials: { username: "admin", password } });
  return {
    url,
    context,
    async close() {
      await context.close().catch(() => {});
      await browser.close().catch(() => {});
      await dashboard.stop();
    },
  };
}
