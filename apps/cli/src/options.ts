import { InvalidArgumentError } from "commander";
import { FAILURE_KINDS, isFailureKind } from "@porter/failures";

/** Commander parser for a whole number of at least `min`. */
export function wholeNumber(min = 0): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value) || Number(value) < min) {
      throw new InvalidArgumentError(`expected a whole number >= ${min}, got "${value}"`);
    }
    return Number(value);
  };
}

/** Commander parser for a rate in [0, 1]. */
export function rate(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new InvalidArgumentError(`expected a rate from 0 to 1, got "${value}"`);
  }
  return n;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Commander parser for a run id, or `latest` for the newest run. */
export function runIdOrLatest(value: string): string {
  if (value === "latest") return value;
  if (!UUID.test(value)) throw new InvalidArgumentError(`expected a run id (a UUID) or "latest", got "${value}"`);
  return value.toLowerCase();
}

/** Commander parser for a failure kind (README: Failure kinds). */
export function failureKind(value: string): string {
  if (!isFailureKind(value)) {
    throw new InvalidArgumentError(`expected a failure kind (${Object.keys(FAILURE_KINDS).join(", ")}), got "${value}"`);
  }
  return value;
}
