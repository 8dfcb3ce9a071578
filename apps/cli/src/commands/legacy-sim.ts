import { Command } from "commander";
import { loadConfig } from "@porter/config";
import { startLegacySim } from "@porter/legacy-sim";
import { addFaultOptions, faultsFrom } from "../fault-options.js";
import { rate, wholeNumber } from "../options.js";

/** `porter legacy-sim`: the simulated legacy service, in the foreground. */
export function legacySimCommand(): Command {
  const command = new Command("legacy-sim")
    .description("serve a deterministic legacy corpus over the legacy HTTP contract, with switchable faults")
    .option("--docs <n>", "documents in the corpus", wholeNumber(0), 20_000)
    .option("--port <port>", "port to listen on (0: any free port)", wholeNumber(0), 4_000)
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--seed <n>", "corpus seed: same seed, same documents", wholeNumber(0), 1)
    .option("--token <token>", "require Authorization: Bearer <token>")
    .option("--prerender", "render every page before listening (memory for speed)", false)
    .option("--too-large-bytes <n>", "size of the pages of the too-large fault", wholeNumber(1))
    .option("--touch <rate>", "documents edited since an earlier run with the same seed: updatedAt one day later (rate 0–1)", rate);
  return addFaultOptions(command).action(async (opts: Record<string, unknown>) => {
    const config = loadConfig();
    const faults = faultsFrom(opts);
    const sim = await startLegacySim({
      docs: opts.docs as number,
      port: opts.port as number,
      host: opts.host as string,
      seed: opts.seed as number,
      token: opts.token as string | undefined,
      prerender: opts.prerender as boolean,
      faults,
      ...(opts.tooLargeBytes === undefined ? {} : { tooLargeBytes: opts.tooLargeBytes as number }),
      ...(opts.touch === undefined ? {} : { touched: opts.touch as number }),
    });
    if (config.logLevel !== "silent") {
      process.stdout.write(
        `${JSON.stringify({ msg: "legacy-sim listening", url: sim.url, docs: opts.docs, seed: opts.seed, faults, touched: opts.touch ?? 0 })}\n`,
      );
    }
    await new Promise<void>((resolve) => {
      process.once("SIGTERM", resolve);
      process.once("SIGINT", resolve);
    });
    await sim.close();
  });
}
