import type { Run } from "./types.js";

export const RUN_COLUMNS = `id, status, cursor, listed, listing_error, options, source, replay_of, changed_only, dry_run,
  started_at::text AS started_at, listed_at::text AS listed_at, finished_at::text AS finished_at,
  active_ms, resumed_at::text AS resumed_at`;

export function toRun(row: Record<string, unknown>): Run {
  return {
    id: row.id as string,
    status: row.status as Run["status"],
    cursor: row.cursor as string | null,
    listed: row.listed as number,
    listingError: row.listing_error as string | null,
    options: row.options as Record<string, unknown>,
    source: row.source as Run["source"],
    replayOf: row.replay_of as string | null,
    changedOnly: row.changed_only as boolean,
    dryRun: row.dry_run as boolean,
    startedAt: row.started_at as string,
    listedAt: row.listed_at as string | null,
    finishedAt: row.finished_at as string | null,
    activeMs: Number(row.active_ms),
    resumedAt: row.resumed_at as string | null,
  };
}
