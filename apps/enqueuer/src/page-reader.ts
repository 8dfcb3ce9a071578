import type { Logger } from "@porter/logger";
import { listPage, type ListPolicy } from "@porter/runs";
import type { ListPage, Source } from "@porter/source";

/**
 * Reads a listing one page ahead: as soon as a page is handed out, the one
 * its cursor names is asked for, so the source answers while the caller
 * writes the page it has. A listing that only writes ledger rows (a
 * changed-only run over an unchanged corpus) then goes at the pace of the
 * slower of the two, not at their sum. Each page is still read with
 * listPage's timeout, retries and backoff; a read-ahead that fails rejects
 * when its page is asked for, as a read in line would have. `readAhead` says
 * which next pages are worth asking for before they are needed (the caller
 * may be about to stop: a limit reached, a cursor that came back).
 */
export class PageReader {
  private readonly stop = new AbortController();
  private ahead: { cursor: string; page: Promise<ListPage> } | undefined;

  constructor(
    private readonly source: Source,
    private readonly pageSize: number,
    private readonly policy: ListPolicy,
    private readonly logger: Logger,
    private readonly readAhead: (nextCursor: string) => boolean,
  ) {}

  /** The page at `cursor`: the one read ahead when it is that one, else read now. */
  async page(cursor: string | null): Promise<ListPage> {
    const ahead = this.ahead;
    this.ahead = undefined;
    const page = await (ahead !== undefined && ahead.cursor === cursor ? ahead.page : this.read(cursor));
    if (page.nextCursor !== null && !this.stop.signal.aborted && this.readAhead(page.nextCursor)) {
      this.ahead = { cursor: page.nextCursor, page: this.read(page.nextCursor) };
    }
    return page;
  }

  /** Gives up the page read ahead, if any: its request and backoff stop now. */
  close(): void {
    this.stop.abort(new Error("the listing ended"));
    this.ahead = undefined;
  }

  private read(cursor: string | null): Promise<ListPage> {
    const reading = listPage(this.source, cursor, this.pageSize, this.policy, this.logger, this.stop.signal);
    // Rethrown where it is awaited; until then, or when nobody awaits it, not an unhandled rejection.
    reading.catch(() => {});
    return reading;
  }
}
