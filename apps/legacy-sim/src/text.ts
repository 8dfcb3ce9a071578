import { Rng } from "./prng.js";
import { scriptSafe } from "./script-safe.js";

// Fragments are whole code-point sequences (never a lone surrogate, never U+0000), so any
// concatenation of them is valid text that a loader must carry byte for byte.
const WORDS = [
  "the", "migration", "legacy", "document", "report", "quarterly", "budget", "review", "draft",
  "final", "notes", "meeting", "project", "archive", "policy", "update", "summary", "customer",
  "invoice", "contract", "schedule", "team", "release", "incident", "postmortem", "roadmap",
];

const SPECIAL = [
  "😀", "🚀", "👨‍👩‍👧‍👦", "🇫🇷", "🏳️‍🌈", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "𠜎𠜱", // astral plane, ZWJ sequences, flags
  "漢字", "日本語のテキスト", "中文文档", "한국어",
  "مرحبا بالعالم", "שלום עולם", "\u200f", "\u200e", // RTL text and direction marks
  "e\u0301", "n\u0303", "a\u0308\u0323", "Z\u0351\u0352\u0353", // combining marks
  "café", "naïve", "Ærøskøbing", "Straße", "Ωμέγα", "Кириллица",
  "\"quoted\"", "'single'", "«guillemets»", "“curly”", "back\\slash", "C:\\path\\to\\file",
  "\n", "\n\n", "\t", "\r\n", "\u2028", "\u2029", "\u00a0", "\u200b", "\ufeff", "\u0007",
  "</script>", "<!--", "-->", "<script>alert(1)</script>", "</SCRIPT >", "<\\/script>",
  "<b>bold</b>", "&amp;", "&lt;tag&gt;", "{\"json\": [1, 2]}", "${template}", "%20%2F",
  "100%", "null", "undefined", "\\u0000", "🤖 end",
];

function fragment(rng: Rng, specialRate: number): string {
  return rng.chance(specialRate) ? rng.pick(SPECIAL) : rng.pick(WORDS);
}

// Bodies are assembled from pre-built sentences: a few picks per body instead of hundreds
// keeps rendering cheap, and 512 sentences still give every document distinct text.
const SENTENCES: readonly string[] = (() => {
  const rng = new Rng(0x5eed);
  const out: string[] = [];
  for (let k = 0; k < 512; k++) {
    const words: string[] = [];
    for (let n = rng.int(3, 16); n > 0; n--) words.push(fragment(rng, 0.2));
    out.push(words.join(" ") + rng.pick([". ", ". ", "! ", "? ", "\n", " "]));
  }
  return out;
})();

/** The JSON-escaped form of each sentence as UTF-8, so a page never re-serialises a body. */
const SENTENCE_JSON: readonly Buffer[] = SENTENCES.map((s) =>
  Buffer.from(scriptSafe(JSON.stringify(s).slice(1, -1))),
);

/** Sentence numbers whose text is at least `minLength` UTF-16 units. */
export function sentencePlan(rng: Rng, minLength: number): number[] {
  const plan: number[] = [];
  for (let length = 0; length < minLength; ) {
    const k = rng.int(0, SENTENCES.length - 1);
    plan.push(k);
    length += (SENTENCES[k] as string).length;
  }
  return plan;
}

export function sentenceText(plan: readonly number[]): string {
  return plan.map((k) => SENTENCES[k]).join("");
}

/**
 * embedJson(sentenceText(plan)) without its quotes, as UTF-8 pieces. Concatenating per-sentence
 * escapes is exact: escaping is per character, sentences hold no lone surrogates, and every
 * sentence ends in white space or punctuation, so no "</" nor "<!--" spans two sentences.
 */
export function sentenceJson(plan: readonly number[]): Buffer[] {
  return plan.map((k) => SENTENCE_JSON[k] as Buffer);
}

/** A short phrase of `words` fragments (titles, names, tags). */
export function phrase(rng: Rng, words: number, specialRate = 0.3): string {
  const parts: string[] = [];
  for (let k = 0; k < words; k++) parts.push(fragment(rng, specialRate));
  return parts.join(" ");
}

const FIRST = ["Ana", "Björn", "Zoë", "李", "Мария", "محمد", "יעל", "José", "O'Brien", "Siân", "Nguyễn", "Ōta"];
const LAST = ["García", "Müller", "Smith", "王", "Иванова", "العلي", "כהן", "Dupont-Durand", "van der Berg", "🦄"];

export function personName(rng: Rng): string {
  return `${rng.pick(FIRST)} ${rng.pick(LAST)}`;
}

const FILE_STEMS = ["résumé final", "報告書", "photo 😀", "budget \"2024\"", "notes/old", "scan", "a&b=c?d", "ملف"];
const FILE_EXTS = [".pdf", ".xlsx", ".png", ".txt", ".tar.gz", ""];

export function fileName(rng: Rng): string {
  return rng.pick(FILE_STEMS) + rng.pick(FILE_EXTS);
}

/** Cuts `s` to at most `n` units without splitting a surrogate pair. */
export function safeSlice(s: string, n: number): string {
  if (s.length <= n) return s;
  const code = s.charCodeAt(n - 1);
  return s.slice(0, code >= 0xd800 && code <= 0xdbff ? n - 1 : n);
}
