export type RunStatus = "listing" | "running" | "completed" | "cancelled" | "rolled_back";
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
  startedAt: string;
  listedAt: string | null;
  finishedAt: string | null;
}
