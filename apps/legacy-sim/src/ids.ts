import { hash32, Salt } from "./prng.js";

// Each id is prefix + decimal index + suffix, and no prefix or suffix holds an ASCII digit,
// so the index can be parsed back in O(1); id(indexOf(x)) === x rejects everything else.
export const ID_SHAPES = [
  { name: "plain", prefix: "doc-", suffix: "" },
  { name: "plain", prefix: "DOC_", suffix: "_v" },
  { name: "space", prefix: "Quarterly report ", suffix: " (final)" },
  { name: "slash", prefix: "reports/annual/", suffix: "/summary" },
  { name: "slash", prefix: "a/b c/", suffix: "" },
  { name: "cjk", prefix: "文書-", suffix: "-報告書" },
  { name: "accent", prefix: "café crème ", suffix: " — résumé" },
  { name: "emoji", prefix: "📄 ", suffix: " 🚀✨" },
  { name: "rtl", prefix: "مستند ", suffix: " שלום" },
  { name: "reserved", prefix: "a+b & c?d#", suffix: "%e;f=g" },
] as const;

export type IdShapeName = (typeof ID_SHAPES)[number]["name"];

export function idShape(seed: number, i: number): (typeof ID_SHAPES)[number] {
  return ID_SHAPES[hash32(seed, i, Salt.idShape) % ID_SHAPES.length] as (typeof ID_SHAPES)[number];
}

export function makeId(seed: number, i: number): string {
  const shape = idShape(seed, i);
  return shape.prefix + String(i) + shape.suffix;
}

const DIGITS = /[0-9]+/;

export function parseIndex(seed: number, size: number, id: string): number | undefined {
  const match = DIGITS.exec(id);
  if (match === null || match[0].length > 16) return undefined;
  const i = Number(match[0]);
  if (i >= size) return undefined;
  return makeId(seed, i) === id ? i : undefined;
}
