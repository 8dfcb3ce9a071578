import type { Rng } from "./prng.js";

// Timestamps vary in precision and offset so a loader must keep them exactly as given.
const OFFSETS = [0, 0, 120, -330, 345, -480, 540] as const; // minutes east of UTC
const START = Date.UTC(2005, 0, 1);
const SPAN = Date.UTC(2024, 0, 1) - START;
const FIVE_YEARS = 5 * 365 * 24 * 3600 * 1000;

export type Precision = "s" | "ms" | "us";

function offsetText(minutes: number): string {
  if (minutes === 0) return "Z";
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));
const pad3 = (n: number): string => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : String(n));

/** Year, month, day of a day count since 1970-01-01 (Hinnant's civil_from_days; Date is slower). */
function civil(days: number): [number, number, number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, doy - Math.floor((153 * mp + 2) / 5) + 1];
}

/** ISO-8601 text for `ms` (plus `micros` extra microseconds) at a precision and offset. */
export function format(ms: number, micros: number, precision: Precision, offset: number): string {
  const local = ms + offset * 60_000;
  const days = Math.floor(local / 86_400_000);
  const [y, mo, d] = civil(days);
  const inDay = local - days * 86_400_000;
  const sec = Math.floor(inDay / 1000);
  const base = `${y}-${pad2(mo)}-${pad2(d)}T${pad2(Math.floor(sec / 3600))}:${pad2(Math.floor(sec / 60) % 60)}:${pad2(sec % 60)}`;
  const milli = pad3(inDay % 1000);
  const fraction = precision === "s" ? "" : precision === "ms" ? `.${milli}` : `.${milli}${pad3(micros)}`;
  return base + fraction + offsetText(offset);
}

export interface Times {
  createdAt: string;
  updatedAt: string;
}

/** A document's times; `laterMs` moves updatedAt later (an edit at the source) and leaves every other draw alone. */
export function times(rng: Rng, laterMs = 0): Times {
  const created = START + Math.floor(rng.next() * SPAN);
  const micros = rng.int(0, 999);
  const precision = rng.pick(["s", "ms", "us"] as const);
  const offset = rng.pick(OFFSETS);
  const createdText = format(created, micros, precision, offset);
  if (rng.chance(0.05)) {
    return { createdAt: createdText, updatedAt: laterMs === 0 ? createdText : format(created + laterMs, micros, precision, offset) };
  }
  // At least 1 s later, so truncating either side to whole seconds keeps updatedAt ≥ createdAt.
  const updated = created + 1000 + Math.floor(rng.next() * FIVE_YEARS);
  return {
    createdAt: createdText,
    updatedAt: format(updated + laterMs, rng.int(0, 999), rng.pick(["s", "ms", "us"] as const), rng.pick(OFFSETS)),
  };
}
