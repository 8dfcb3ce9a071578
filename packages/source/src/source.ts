/** One entry of the legacy listing. */
export interface ListedDocument {
  id: string;
  /** As the listing gave it: an ISO-8601 string when the source keeps the contract, but any JSON value (or absent) when not. */
  updatedAt?: unknown;
}

/** One page of the legacy listing; a page may be empty while `nextCursor` is not null. */
export interface ListPage {
  documents: ListedDocument[];
  nextCursor: string | null;
}

/**
 * Memory a caller lets a page take while its body is read. The source reserves
 * bytes before it holds them and reads no further while a reservation waits, so
 * the socket is back-pressured instead of the bytes being buffered.
 */
export interface BodyReservation {
  /** Resolves once `bytes` more may be held; rejects if `signal` aborts first. */
  reserve(bytes: number, signal: AbortSignal): Promise<void>;
}

/** A document's page as served with 200: its bytes (content coding undone) and what they claim to be. */
export interface FetchedPage {
  bytes: Buffer;
  /** The Content-Type header, as sent; null when there was none. */
  contentType: string | null;
}

/**
 * What Porter needs from a legacy service. A service that speaks another contract gets its
 * own module implementing this; every failure is an `ImportFailure`.
 */
export interface Source {
  /** One page of the listing, from `cursor` (null: the start). */
  list(cursor: string | null, limit: number, signal?: AbortSignal): Promise<ListPage>;
  /**
   * The HTML page of one document, as bytes (pageText() makes them text); its body's
   * bytes are reserved from `reservation` as they are read.
   */
  fetchPage(id: string, signal: AbortSignal, reservation?: BodyReservation): Promise<FetchedPage>;
  /** Closes the connections once in-flight requests have finished. */
  close(): Promise<void>;
}
