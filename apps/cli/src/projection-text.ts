import type { ProjectionCounts } from "@porter/db";

/**
 * A dry run's findings in one sentence: "would insert 19000, update 800 (and
 * find 150 unchanged), fail 200: 120 invalid_json, 80 not_found".
 */
export function projectionText(projection: ProjectionCounts, failuresByKind: readonly { kind: string; count: number }[]): string {
  const failed = failuresByKind.reduce((sum, f) => sum + f.count, 0);
  const kinds = failuresByKind.map((f) => `${f.count} ${f.kind}`).join(", ");
  return (
    `would insert ${projection.new}, update ${projection.changed}` +
    (projection.unchanged > 0 ? ` (and find ${projection.unchanged} unchanged)` : "") +
    `, fail ${failed}${failed > 0 ? `: ${kinds}` : ""}`
  );
}
