import { z } from "zod";

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => {
  const expected = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
  return z
    .string()
    .regex(/^-?\d+$/, { message: `expected ${expected}` })
    .transform(Number)
    .pipe(z.number().min(min, { message: `expected ${expected}` }).max(max, { message: `expected ${expected}` }));
};

/** Node timers overflow past 2^31 − 1 ms and then fire at once. */
const MAX_TIMER_MS = 2_147_483_647;
const ms = (min: number) => int(min, MAX_TIMER_MS);

const url = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `expected a URL starting with ${protocols.map((p) => `${p}//`).join(" or ")}` },
  );

/** An http(s) origin — scheme, host, optional port, nothing else — normalised as browsers send it in `Origin`. */
const origin = z
  .string()
  .refine(
    (value) => {
      try {
        const u = new URL(value);
        return (
          (u.protocol === "http:" || u.protocol === "https:") &&
          u.username === "" &&
          u.password === "" &&
          u.pathname === "/" &&
          u.search === "" &&
          u.hash === "" &&
          /^https?:\/\/[^/?#]+\/?$/i.test(value)
        );
      } catch {
        return false;
      }
    },
    { message: "expected an origin like https://porter.example.com or http://localhost:8080 (no path, query or user)" },
  )
  .transform((value) => new URL(value).origin);

/**
 * Every environment variable Porter reads, with its default. The only place
 * that knows their names: the README's configuration table follows this.
 */
export const envSchema = z.object({
  REDIS_URL: url(["redis:", "rediss:"]).default("redis://127.0.0.1:6379"),
  DATABASE_URL: url(["postgres:", "postgresql:"]).default("postgres://postgres@127.0.0.1:5432/porter"),
  LEGACY_URL: url(["http:", "https:"]).default("http://127.0.0.1:4000"),
  /** Keep every page fetched with 200 in the page archive (on), or not (off); a replay reads the archive either way. */
  ARCHIVE: z.enum(["on", "off"], { message: 'expected "on" or "off"' }).default("on"),
  /** The database that holds the page archive; unset: the target database (DATABASE_URL), written in the same transaction as the documents. */
  ARCHIVE_DATABASE_URL: url(["postgres:", "postgresql:"]).optional(),
  LEGACY_TOKEN: z.string().min(1).optional(),
  WORKER_CONCURRENCY: int(1, 10_000).default(50),
  JOB_TIMEOUT_MS: ms(100).default(30_000),
  /** A response from the legacy service that sends no byte for this long (headers or body) is aborted and retried; JOB_TIMEOUT_MS still bounds the attempt. */
  FETCH_IDLE_TIMEOUT_MS: ms(100).default(5_000),
  JOB_ATTEMPTS: int(1, 100).default(5),
  BACKOFF_BASE_MS: ms(0).default(1_000),
  /** Requests per second to the legacy service across all workers; unset = no limit. */
  LEGACY_MAX_RPS: int(1).optional(),
  /** Documents waiting in the queue (counted in jobs of JOB_DOCUMENTS) before the enqueuer holds off. */
  QUEUE_HIGH_WATER: int(1).default(20_000),
  /** Documents per job for a first attempt (retries are one per job); 1 = one job per document. 1 whenever LEGACY_MAX_RPS is set. */
  JOB_DOCUMENTS: int(1, 1_000).default(25),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[^:\s]+$/, { message: "expected a prefix without ':' or spaces, e.g. porter or {porter}" })
    .default("porter"),
  LIST_PAGE_SIZE: int(1, 1_000).default(500),
  /** How long one listing page request may take before it counts as a timeout and is retried (the enqueuer's and verify's). */
  LIST_TIMEOUT_MS: ms(100).default(30_000),
  /** A listing whose pages bring no new id for this long (listing time, not waits for the queue) is stopped. */
  LIST_IDLE_TIMEOUT_MS: ms(100).default(600_000),
  MAX_PAGE_BYTES: int(1_024).default(32 * 1024 * 1024),
  /** Bytes of pages one worker process holds at once (read, parsed, waiting to load); at least MAX_PAGE_BYTES. */
  MAX_INFLIGHT_BYTES: int(1_024).default(96 * 1024 * 1024),
  STALLED_INTERVAL_MS: ms(500).default(30_000),
  SHUTDOWN_GRACE_MS: ms(0).default(30_000),
  /** How often each worker process's reconciler looks for lost jobs (one of them acts at a time). */
  RECONCILE_INTERVAL_MS: ms(100).default(30_000),
  /** How long a `pending`/`running` ledger row may go untouched before a missing job counts as lost. */
  RECONCILE_GRACE_MS: ms(0).default(60_000),
  /** How long the enqueuer retries through a Redis or Postgres outage before it gives up. */
  STORE_OUTAGE_MS: ms(0).default(120_000),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  DASHBOARD_USER: z.string().min(1).default("admin"),
  DASHBOARD_PASSWORD: z.string().min(1).optional(),
  /** The URL people open the dashboard at when it is published beyond the loopback names (behind a proxy, another port). */
  DASHBOARD_ORIGIN: origin.optional(),
  PORT: int(0, 65_535).default(3_000),
  METRICS_PORT: int(0, 65_535).default(9_464),
});

export type Env = z.infer<typeof envSchema>;
