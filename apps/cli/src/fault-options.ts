import type { Command } from "commander";
import { FAULT_NAMES, FAULTS, type FaultName } from "@porter/legacy-sim";
import { rate } from "./options.js";

/** Camel-case key commander gives a kebab-case flag (`rate-limit` → `rateLimit`). */
function optionKey(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Adds the simulator's fault flags (`--rate-limit <rate>`, `--not-found <rate>`, …) to `command`. */
export function addFaultOptions(command: Command): Command {
  for (const name of FAULT_NAMES) {
    const fault = FAULTS[name];
    command.option(`--${fault.flag} <rate>`, `${fault.description} (rate 0–1)`, rate);
  }
  return command;
}

/** The fault rates among a command's parsed options (those addFaultOptions added). */
export function faultsFrom(opts: Record<string, unknown>): Partial<Record<FaultName, number>> {
  const faults: Partial<Record<FaultName, number>> = {};
  for (const name of FAULT_NAMES) {
    const value = opts[optionKey(FAULTS[name].flag)];
    if (typeof value === "number") faults[name] = value;
  }
  return faults;
}
