import { pino, type Logger, type LevelWithSilent } from "pino";

export type { Logger };

/**
 * Paths pino blanks out wherever they appear, so a secret never reaches a
 * log line even when a whole config or request object is logged by mistake.
 */
const REDACT = [
  "legacyToken",
  "dashboardPassword",
  "*.legacyToken",
  "*.dashboardPassword",
  "headers.authorization",
  "*.headers.authorization",
  "password",
  "*.password",
];

export interface LoggerOptions {
  level: LevelWithSilent;
  /** The process: worker, enqueuer, dashboard, cli, legacy-sim. */
  name: string;
  /** File descriptor the JSON lines go to: 1 (stdout, the default) or 2 (stderr, for commands whose stdout is their result). */
  fd?: 1 | 2;
  /** Where the lines go instead of `fd`: anything with a synchronous write (the CLI's, which draws them above its progress bar). */
  destination?: { write(line: string): void };
}

/**
 * JSON lines, one logger per process. Writes are synchronous: nothing is
 * logged per successful document, so the cost is nil, and no line is lost
 * when the process exits.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      name: options.name,
      redact: { paths: REDACT, censor: "[redacted]" },
      base: { pid: process.pid },
    },
    options.destination ?? pino.destination({ dest: options.fd ?? 1, sync: true }),
  );
}
