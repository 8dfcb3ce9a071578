import { pipeline, Readable } from "node:stream";
import { failureFromNetworkError, ImportFailure } from "@porter/failures";
import { createDecoder, type Coding } from "./content-encoding.js";
import type { BodyReservation } from "./source.js";

/**
 * Reading a response body into one buffer, within MAX_PAGE_BYTES and the caller's memory
 * reservation. Every failure is an ImportFailure: `too_large`, `invalid_document` for data
 * that does not decode, and otherwise what failureFromNetworkError makes of it.
 */
export interface BodyRead {
  /** The cap, on the bytes received and on the bytes they decode to. */
  maxBytes: number;
  signal: AbortSignal | undefined;
  /** Asked before bytes are held; none: no accounting. */
  reservation: BodyReservation | undefined;
  /** Names the request in messages; called only once something has failed. */
  context: () => string;
}

/** The signal of a request that has none (listings may come without one): it never aborts. */
const NEVER = new AbortController().signal;

function ignore(): void {}

function tooLarge(read: BodyRead, what: "is larger than" | "decodes to more than"): ImportFailure {
  return new ImportFailure("too_large", `${read.context()}: the response ${what} the ${read.maxBytes} bytes allowed`, { stage: "fetch" });
}

function join(chunks: Buffer[], size: number): Buffer {
  const first = chunks[0];
  return chunks.length === 1 && first !== undefined ? first : Buffer.concat(chunks, size);
}

/**
 * A body with a Content-Length (not above the cap): reserved whole before it is read, then
 * copied into one buffer of that size as it arrives, so it is never held twice.
 */
export async function readDeclared(body: Readable, length: number, read: BodyRead): Promise<Buffer> {
  // While the reservation waits nothing reads the body; an error meanwhile must not go unhandled.
  body.on("error", ignore);
  try {
    await read.reservation?.reserve(length, read.signal ?? NEVER);
    const bytes = Buffer.allocUnsafe(length);
    let at = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      // undici fails a body longer than its Content-Length; this only keeps the copy in bounds.
      if (at + chunk.length > length) throw new Error(`the response is longer than its Content-Length of ${length} bytes`);
      chunk.copy(bytes, at);
      at += chunk.length;
    }
    return at === length ? bytes : bytes.subarray(0, at);
  } catch (err) {
    throw failureFromNetworkError(err, read.context(), read.signal);
  } finally {
    // Leaving early (an abort while reserving) must close the socket, not leave it half read.
    if (!body.readableEnded) body.destroy();
  }
}

/** A body of unknown length: each chunk reserved as it arrives; reading stops past the cap. */
export async function readChunked(body: Readable, read: BodyRead): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      size += chunk.length;
      // Leaving the loop destroys the body, which stops the download and closes the socket.
      if (size > read.maxBytes) throw tooLarge(read, "is larger than");
      if (read.reservation) await read.reservation.reserve(chunk.length, read.signal ?? NEVER);
      chunks.push(chunk);
    }
  } catch (err) {
    throw failureFromNetworkError(err, read.context(), read.signal);
  }
  return join(chunks, size);
}

/**
 * A body under one or more content codings (in the order the server applied them), streamed
 * through zlib: the cap counts the bytes received and the bytes decoded, so a small body
 * that would decode to gigabytes stops at the cap; only decoded bytes are reserved (the
 * compressed ones pass through a chunk at a time).
 *
 * Data that does not decode is `invalid_document`, permanent: the HTTP framing was complete
 * (a body cut off mid-transfer is a `network` error from undici, retried), so the service
 * would send the same broken bytes again.
 */
export async function readEncoded(body: Readable, codings: Coding[], read: BodyRead): Promise<Buffer> {
  body.on("error", ignore);
  const received = (body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  let first: IteratorResult<Buffer>;
  try {
    first = await received.next();
  } catch (err) {
    throw failureFromNetworkError(err, read.context(), read.signal);
  }
  let receivedBytes = 0;
  let sourceError: unknown;
  async function* counted(): AsyncGenerator<Buffer> {
    try {
      for (let step = first; step.done !== true; step = await received.next()) {
        receivedBytes += step.value.length;
        if (receivedBytes > read.maxBytes) throw tooLarge(read, "is larger than");
        yield step.value;
      }
    } catch (err) {
      sourceError = err;
      throw err;
    }
  }
  // Decoded in reverse: the last coding applied is the first undone.
  const decoders = codings.toReversed().map((coding, i) => ({
    coding,
    stream: createDecoder(coding, i === 0 && first.done !== true ? first.value : undefined),
  }));
  let failedCoding: Coding | undefined;
  for (const { coding, stream } of decoders) {
    // pipeline hands an error on to every stream: the first to report it is where it arose.
    stream.on("error", (err) => {
      if (err !== sourceError) failedCoding ??= coding;
    });
  }
  const output = (decoders.at(-1) as (typeof decoders)[number]).stream;
  pipeline([Readable.from(counted(), { objectMode: false }), ...decoders.map((d) => d.stream)], ignore);

  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of output as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > read.maxBytes) throw tooLarge(read, "decodes to more than");
      if (read.reservation) await read.reservation.reserve(chunk.length, read.signal ?? NEVER);
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof ImportFailure || err === sourceError || read.signal?.aborted || failedCoding === undefined) {
      throw failureFromNetworkError(err, read.context(), read.signal);
    }
    const reason = err instanceof Error ? err.message : String(err);
    throw new ImportFailure("invalid_document", `${read.context()}: the ${failedCoding}-encoded response does not decode: ${reason}`, {
      stage: "fetch",
      cause: err,
    });
  } finally {
    // Stopped early (the cap, a decode error): close the socket rather than drain it.
    if (!body.readableEnded) body.destroy();
  }
  return join(chunks, size);
}
