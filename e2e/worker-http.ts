import { waitFor, type PorterProcess } from "@porter/testing";

/** The JSON lines among a process's output (pino writes one object per line). */
export function logLines(text: string): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // not a log line
    }
  }
  return lines;
}

/** The first log line of `process` whose message starts with `msg`; waits for it. */
export function waitForLog(process: PorterProcess, msg: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  return waitFor(
    `a log line "${msg}…"`,
    () => {
      const line = logLines(process.stdout() + process.stderr()).find((l) => typeof l.msg === "string" && l.msg.startsWith(msg));
      if (line) return line;
      if (process.child.exitCode !== null || process.child.signalCode !== null) {
        throw new Error(`exited without it: ${process.stdout()}${process.stderr()}`);
      }
      return undefined;
    },
    { timeoutMs },
  );
}

/** The port a worker started with METRICS_PORT=0 took, from its log. */
export async function metricsPortOf(worker: PorterProcess): Promise<number> {
  const line = await waitForLog(worker, "metrics and health on port");
  return line.metricsPort as number;
}

export interface HttpAnswer {
  status: number;
  contentType: string;
  body: string;
}

export async function get(port: number, path: string): Promise<HttpAnswer> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, contentType: res.headers.get("content-type") ?? "", body: await res.text() };
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition. */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key as string] = value as string;
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return samples;
}

/** The value of the one sample named `name` with exactly `labels`; undefined if there is none. */
export function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = JSON.stringify(Object.entries(labels).sort());
  return samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === wanted)?.value;
}

export async function scrape(port: number): Promise<Sample[]> {
  const res = await get(port, "/metrics");
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return parseMetrics(res.body);
}
