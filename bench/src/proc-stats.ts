import { readFileSync, readdirSync } from "node:fs";
import { execFileSync } from "node:child_process";

const TICKS = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;

/**
 * CPU seconds (user + system) a process has used so far, or undefined once it is gone.
 * /proc/<pid>/stat counts in clock ticks (10 ms), and a short run's Redis spends
 * less than that; each thread's schedstat counts nanoseconds, but only threads
 * still alive. The larger of the two is within a tick of the truth and exact for
 * a process whose threads all live on.
 */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = (Number(fields[11]) + Number(fields[12])) / TICKS;
    return Math.max(ticks, liveThreadsSeconds(pid));
  } catch {
    return undefined;
  }
}

function liveThreadsSeconds(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // the thread is gone: its time is in the ticks
    }
  }
  return ns / 1e9;
}

/** Resident set size now, in MB. */
export function rssMb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

/** Pids whose command line starts with `name` (e.g. every postgres backend). */
export function pidsOf(name: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, "utf8").trim();
      if (comm === name || comm.startsWith(name)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

export interface GroupStats {
  cpuSeconds: number;
  peakRssMb: number;
}

/**
 * Samples named groups of processes every `intervalMs`: CPU used since the
 * sampler started (per pid, so processes that come and go — Postgres
 * backends — still count) and the peak RSS of any one process in the group.
 */
export class ProcessSampler {
  private readonly groups = new Map<string, () => number[]>();
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, number>();
  /** A pid may be in several groups (a target's backend is one of all of Postgres's processes). */
  private readonly pidGroups = new Map<number, Set<string>>();
  private readonly peak = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  add(group: string, pids: () => number[]): void {
    this.groups.set(group, pids);
  }

  start(intervalMs = 200): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  sample(): void {
    for (const [group, list] of this.groups) {
      for (const pid of list()) {
        const cpu = cpuSeconds(pid);
        if (cpu === undefined) continue;
        // A process seen at start counts from there; one that appears later
        // (a worker, a Postgres backend) counts from its birth.
        if (!this.first.has(pid)) this.first.set(pid, this.timer === undefined ? cpu : 0);
        // A thread that exits takes its nanoseconds out of cpuSeconds' sum.
        this.last.set(pid, Math.max(cpu, this.last.get(pid) ?? 0));
        const groups = this.pidGroups.get(pid) ?? new Set<string>();
        groups.add(group);
        this.pidGroups.set(pid, groups);
        const rss = rssMb(pid) ?? 0;
        this.peak.set(group, Math.max(this.peak.get(group) ?? 0, rss));
      }
    }
  }

  stop(): Record<string, GroupStats> {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    const result: Record<string, GroupStats> = {};
    for (const group of this.groups.keys()) result[group] = { cpuSeconds: 0, peakRssMb: Math.round(this.peak.get(group) ?? 0) };
    for (const [pid, groups] of this.pidGroups) {
      for (const group of groups) {
        const stats = result[group] as GroupStats;
        stats.cpuSeconds += (this.last.get(pid) ?? 0) - (this.first.get(pid) ?? 0);
      }
    }
    for (const stats of Object.values(result)) stats.cpuSeconds = Math.round(stats.cpuSeconds * 1000) / 1000;
    return result;
  }
}
