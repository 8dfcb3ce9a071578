export type RunStatus = "listing" | "running" | "completed" | "cancelled" | "rolled_back";
/** Where a run reads its listing and its pages: the legacy service, or the archive (a replay). */
export type RunSource = "legacy" | "archive";
export type ImportStatus = "pending" | "running" | "succeeded" | "failed" | "rolled_back";

export const IMPORT_STATUSES: readonly ImportStatus[] = ["pending", "running", "succeeded", "failed", "rolled_back"];

export interface Run {
  id: string;
  status: RunStatus;
  cursor: string | null;
  listed: number;
  /** Why the listing stopped before its end; null when it ran to its end (or still runs). */
  listingError: string | null;
  options: Record<string, unknown>;
  source: RunSource;
  /** The run a replay lists again and reads from the archive; null unless `source` is `archive`. */
  replayOf: string | null;
  startedAt: string;
  listedAt: string | null;
  finishedAt: string | null;
}
