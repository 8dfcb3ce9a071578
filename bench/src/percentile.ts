/** The p-th percentile (0–1) of sorted numbers, rounded to 0.1. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const value = sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
  return Math.round(value * 10) / 10;
}
