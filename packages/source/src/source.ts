/** One entry of the legacy listing. */
export interface ListedDocument {
  id: string;
  updatedAt: string;
}

/** One page of the legacy listing; a page may be empty while `nextCursor` is not null. */
export interface ListPage {
  documents: ListedDocument[];
  nextCursor: string | null;
}

/**
 * What Porter needs from a legacy service. A service that speaks another contract gets its
 * own module implementing this; every failure is an `ImportFailure`.
 */
export interface Source {
  /** One page of the listing, from `cursor` (null: the start). */
  list(cursor: string | null, limit: number, signal?: AbortSignal): Promise<ListPage>;
  /** The HTML page of one document, decoded. */
  fetchPage(id: string, signal: AbortSignal): Promise<string>;
  /** Closes the connections once in-flight requests have finished. */
  close(): Promise<void>;
}
