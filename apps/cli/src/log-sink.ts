/**
 * Where the CLI's log lines go: straight to stderr, or, while a progress bar
 * is drawn there, through the bar, which writes them above itself instead of
 * over it. Synchronous, as the logger's own destination is.
 */
export class LogSink {
  private through: ((line: string) => void) | undefined;

  write(line: string): void {
    if (this.through) this.through(line);
    else process.stderr.write(line);
  }

  /** Sends the lines to `through` until it is given back (undefined). */
  route(through: ((line: string) => void) | undefined): void {
    this.through = through;
  }
}

/** The process's sink: the run's logger writes to it, and so does `porter demo` for its workers' lines. */
export const stderrLogs = new LogSink();
