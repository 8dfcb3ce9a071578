import { ImportFailure } from "@porter/failures";
import { z } from "zod";
import { describeIssues } from "./issues.js";

// The lib is ES2023, which does not declare String.prototype.isWellFormed (Node 20 has it).
type WellFormed = { isWellFormed(this: string): boolean };
const isWellFormed = (String.prototype as unknown as WellFormed).isWellFormed;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Whether Postgres `text` stores `value` unchanged: no NUL (it cannot store one) and no
 * lone surrogate (it would be silently replaced on the way to UTF-8). Two native linear
 * scans, so cheap even for a body of several MB.
 */
export function isStorableText(value: string): boolean {
  return !value.includes("\0") && isWellFormed.call(value);
}

/** Why `value` is not storable (only called once a check has failed). */
function textProblem(value: string): string {
  const nul = value.indexOf("\0");
  if (nul !== -1) return `contains U+0000 at index ${nul}, which Postgres text cannot store`;
  const lone = LONE_SURROGATE.exec(value);
  return `is not well-formed unicode (lone surrogate at index ${lone?.index ?? "?"})`;
}

/**
 * Why a listed id cannot be migrated, or undefined when it can: an empty id
 * names no document URL, and Postgres text cannot hold NUL or a lone surrogate.
 */
export function idProblem(id: string): string | undefined {
  if (id === "") return "the id is empty, so no document URL can name it";
  if (!isStorableText(id)) return `the id ${textProblem(id)}`;
  return undefined;
}

const text = z.string().check((ctx) => {
  if (!isStorableText(ctx.value)) {
    ctx.issues.push({ code: "custom", message: `expected storable text, but the string ${textProblem(ctx.value)}`, input: ctx.value });
  }
});

// RFC 3339 date-time. The offset stops at ±15:59 and the year starts at 0001 because Postgres
// rejects anything beyond; the string itself is kept as is (never through Date, which has ms only).
const TIMESTAMP =
  /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?(?:Z|[+-](?:0\d|1[0-5]):[0-5]\d)$/;
const TIMESTAMP_EXPECTED = "expected an ISO-8601 date-time like 2024-01-31T12:00:00.123456Z or with a ±hh:mm offset";

/** Whether `value` is an RFC 3339 date-time Postgres reads as timestamptz unchanged. */
export function isValidTimestamp(value: string): boolean {
  const m = TIMESTAMP.exec(value);
  if (m === null) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (year === 0) return false;
  if (day <= 28) return true;
  return day <= (month === 2 ? (isLeap(year) ? 29 : 28) : (DAYS_IN_MONTH[month - 1] ?? 31));
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const timestamp = z.string().check((ctx) => {
  if (!isValidTimestamp(ctx.value)) {
    const shown = ctx.value.length > 40 ? `${JSON.stringify(ctx.value.slice(0, 40))}…` : JSON.stringify(ctx.value);
    ctx.issues.push({ code: "custom", message: `${TIMESTAMP_EXPECTED}, got ${shown}`, input: ctx.value });
  }
});

/** The JSON embedded in every legacy page. Unknown fields are stripped. */
export const legacyDocumentSchema = z.object({
  // Non-empty: an empty id cannot be addressed (see documentPath).
  id: text.min(1, { error: "expected a non-empty string" }),
  title: text,
  body: text,
  author: z.object({ id: text, name: text }),
  tags: z.array(text),
  createdAt: timestamp,
  updatedAt: timestamp,
  attachments: z.array(
    z.object({
      name: text,
      url: text,
      // int() also bounds to the safe-integer range: sizes beyond 2^31 are fine, beyond 2^53 are not exact.
      size: z.number({ error: "expected a non-negative safe integer" }).int({ error: "expected a non-negative safe integer" }).min(0, {
        error: "expected a non-negative safe integer",
      }),
    }),
  ),
});

export type LegacyDocument = z.output<typeof legacyDocumentSchema>;

/**
 * Validates a parsed JSON value as a document.
 * @param context prefixes the message, e.g. `document "a b"`.
 * @throws ImportFailure `invalid_document` naming the first bad field.
 */
export function parseLegacyDocument(value: unknown, context = "document"): LegacyDocument {
  const result = legacyDocumentSchema.safeParse(value);
  if (result.success) return result.data;
  throw new ImportFailure("invalid_document", `${context}: invalid document: ${describeIssues(result.error)}`, {
    stage: "extract",
  });
}
