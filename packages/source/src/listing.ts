import { ImportFailure } from "@porter/failures";
import { z } from "zod";
import { describeIssues } from "./issues.js";
import type { ListPage } from "./source.js";

export const listPageSchema = z.object({
  // Any updatedAt is taken and judged later (the enqueuer reports odd ones), and so is any
  // string id (an empty one fails alone as invalid_id): one entry cannot stop the listing.
  documents: z.array(z.object({ id: z.string(), updatedAt: z.unknown().optional() })),
  nextCursor: z.string().nullable(),
});

/**
 * Parses the JSON text of a listing response.
 * @throws ImportFailure `invalid_json` or `invalid_document` (stage `extract`)
 */
export function parseListPage(json: string, context: string): ListPage {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ImportFailure("invalid_json", `${context}: the listing is not valid JSON: ${reason}`, { stage: "extract", cause: err });
  }
  const result = listPageSchema.safeParse(value);
  if (result.success) return result.data;
  throw new ImportFailure("invalid_document", `${context}: the listing has the wrong shape: ${describeIssues(result.error)}`, {
    stage: "extract",
  });
}
