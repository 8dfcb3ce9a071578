import type { BodyReservation } from "@porter/source";

/** One page's share of the budget: reserved while its body is read, released once its document is loaded or failed. */
export interface PageReservation extends BodyReservation {
  /** Bytes this page holds now. */
  readonly held: number;
  /** Gives every byte back and ends the reservation; a wait still pending is rejected. Idempotent. */
  release(): void;
}

interface Ticket {
  held: number;
  released: boolean;
}

interface Waiter {
  ticket: Ticket;
  bytes: number;
  resolve: () => void;
  reject: (err: unknown) => void;
  signal: AbortSignal;
  onAbort: () => void;
}

/**
 * The bytes of the pages a worker process holds (MAX_INFLIGHT_BYTES), shared by all its
 * jobs: a page's bytes are reserved before they are held, so while the budget is spent
 * new bodies wait unread (their sockets back-pressured) until loaded documents free it.
 *
 * Bodies of unknown length reserve a chunk at a time, so pages could each hold part of
 * the budget and all wait for more. To rule that deadlock out, the oldest page holding
 * bytes is never made to wait: it always finishes, frees its bytes, and the next becomes
 * the oldest. The others together stay within the limit, so the total exceeds it by at
 * most that one page (at most MAX_PAGE_BYTES). A page larger than the whole budget gets
 * it when nothing else holds any.
 *
 * Grants: the oldest holder at once; another page that already holds bytes when its
 * chunk fits (it is closer to done than a new one); a new page in arrival order when it
 * fits, or when nothing is held at all.
 */
export class ByteBudget {
  private used = 0;
  /** Tickets holding bytes, oldest first (a Set iterates in insertion order). */
  private readonly holders = new Set<Ticket>();
  private waiting: Waiter[] = [];

  constructor(readonly limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`the byte budget must be a positive integer, got ${String(limit)}`);
  }

  /** Bytes held now (may pass `limit` by one page, see above). */
  get inUse(): number {
    return this.used;
  }

  /** Reservations waiting for bytes. */
  get waiters(): number {
    return this.waiting.length;
  }

  /** A reservation for one page. */
  open(): PageReservation {
    const ticket: Ticket = { held: 0, released: false };
    return {
      get held() {
        return ticket.held;
      },
      reserve: (bytes, signal) => this.reserve(ticket, bytes, signal),
      release: () => this.release(ticket),
    };
  }

  private reserve(ticket: Ticket, bytes: number, signal: AbortSignal): Promise<void> {
    if (ticket.released) return Promise.reject(new Error("the page's reservation was already released"));
    if (signal.aborted) return Promise.reject(abortReason(signal));
    if (bytes <= 0) return Promise.resolve();
    // A ticket has one reserve() pending at most (the source awaits each), so `held` of a waiter does not change.
    if (this.grantable(ticket, bytes, !this.waiting.some((w) => w.ticket.held === 0))) {
      this.grant(ticket, bytes);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        ticket,
        bytes,
        resolve,
        reject,
        signal,
        onAbort: () => {
          this.drop(waiter);
          reject(abortReason(signal));
          // A new page that gave up may have been what the ones behind it waited for.
          this.pump();
        },
      };
      signal.addEventListener("abort", waiter.onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  /** `firstNew`: no new page waits ahead of this one. */
  private grantable(ticket: Ticket, bytes: number, firstNew: boolean): boolean {
    if (ticket.held > 0) return this.isOldest(ticket) || this.used + bytes <= this.limit;
    return firstNew && (this.used + bytes <= this.limit || this.used === 0);
  }

  private isOldest(ticket: Ticket): boolean {
    return this.holders.values().next().value === ticket;
  }

  private grant(ticket: Ticket, bytes: number): void {
    ticket.held += bytes;
    this.used += bytes;
    this.holders.add(ticket);
  }

  private release(ticket: Ticket): void {
    if (ticket.released) return;
    ticket.released = true;
    this.used -= ticket.held;
    ticket.held = 0;
    this.holders.delete(ticket);
    for (const waiter of this.waiting.filter((w) => w.ticket === ticket)) {
      this.drop(waiter);
      waiter.reject(new Error("the page's reservation was released while it waited"));
    }
    this.pump();
  }

  private drop(waiter: Waiter): void {
    waiter.signal.removeEventListener("abort", waiter.onAbort);
    this.waiting = this.waiting.filter((w) => w !== waiter);
  }

  /**
   * Grants what can be granted now, in one pass: a grant only makes the rest less likely
   * to fit, and who is oldest changes only on release.
   */
  private pump(): void {
    let firstNew = true;
    const still: Waiter[] = [];
    const granted: Waiter[] = [];
    for (const waiter of this.waiting) {
      if (this.grantable(waiter.ticket, waiter.bytes, firstNew)) {
        this.grant(waiter.ticket, waiter.bytes);
        granted.push(waiter);
      } else {
        still.push(waiter);
        if (waiter.ticket.held === 0) firstNew = false;
      }
    }
    this.waiting = still;
    for (const waiter of granted) {
      waiter.signal.removeEventListener("abort", waiter.onAbort);
      waiter.resolve();
    }
  }
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error("aborted while waiting for memory");
}
