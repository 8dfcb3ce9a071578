import { Rng, Salt, unit } from "./prng.js";
import { fileName, personName, phrase, sentencePlan, sentenceText } from "./text.js";
import { times } from "./times.js";

/**
 * A document of the simulated corpus, as the simulator builds and serves it
 * (Porter's own parsed form is `LegacyDocument` in @porter/source).
 */
export interface SimDocument {
  id: string;
  title: string;
  body: string;
  author: { id: string; name: string };
  tags: string[];
  createdAt: string;
  updatedAt: string;
  attachments: { name: string; url: string; size: number }[];
}

/** About 1 in 2,000 documents carries a 1–3 MB body. */
const BIG_BODY_RATE = 1 / 2000;

export function isBigBody(seed: number, i: number): boolean {
  return unit(seed, i, Salt.bigBody) < BIG_BODY_RATE;
}

/** A body as sentence numbers, repeated `repeat` times (big bodies repeat one seeded chunk). */
export interface BodyPlan {
  sentences: number[];
  repeat: number;
}

export function bodyPlan(seed: number, i: number): BodyPlan {
  const rng = Rng.for(seed, i, Salt.body);
  if (!isBigBody(seed, i)) return { sentences: sentencePlan(rng, rng.int(300, 3000)), repeat: 1 };
  // Repeating one chunk builds megabytes in microseconds (String#repeat makes a rope).
  const sentences = sentencePlan(rng, rng.int(4000, 8000));
  const target = rng.int(1_000_000, 3_000_000);
  return { sentences, repeat: Math.ceil(target / Buffer.byteLength(sentenceText(sentences))) };
}

export function bodyText(plan: BodyPlan): string {
  return sentenceText(plan.sentences).repeat(plan.repeat);
}

function size(rng: Rng): number {
  const tier = rng.next();
  const max = tier < 0.4 ? 1_000_000 : tier < 0.7 ? 2 ** 31 : 5e12;
  // Two draws give ~53 bits, so large sizes are not all multiples of 2^32/max.
  const fine = rng.next() * 2 ** 21 + rng.next();
  return Math.floor((fine / 2 ** 21) * max) % (max + 1);
}

/** How much later a touched document's updatedAt is: it was edited at the source after a run. */
export const TOUCH_MS = 24 * 3600 * 1000;

/** Only the timestamps: listings need updatedAt without building the body. `touched`: updatedAt TOUCH_MS later. */
export function documentTimes(seed: number, i: number, touched = false): { createdAt: string; updatedAt: string } {
  return times(Rng.for(seed, i, Salt.times), touched ? TOUCH_MS : 0);
}

/** The document around a given body (rendering passes a placeholder and splices bytes in). */
export function buildDocument(seed: number, i: number, id: string, body: string, touched = false): SimDocument {
  const titleRng = Rng.for(seed, i, Salt.title);
  const tagRng = Rng.for(seed, i, Salt.tags);
  const authorRng = Rng.for(seed, i, Salt.author);
  const attRng = Rng.for(seed, i, Salt.attachments);
  const { createdAt, updatedAt } = documentTimes(seed, i, touched);

  const tags: string[] = [];
  for (let k = tagRng.int(0, 5); k > 0; k--) tags.push(phrase(tagRng, tagRng.int(1, 2)));

  const attachments: SimDocument["attachments"] = [];
  for (let k = 0, n = attRng.int(0, 3); k < n; k++) {
    const name = fileName(attRng);
    attachments.push({ name, url: `https://files.legacy.example/att/${i}/${k}/${encodeURIComponent(name)}`, size: size(attRng) });
  }

  return {
    id,
    title: phrase(titleRng, titleRng.int(1, 8)),
    body,
    author: {
      id: authorRng.chance(0.8) ? `u-${authorRng.int(1, 99_999)}` : `ユーザー/${authorRng.int(1, 999)}`,
      name: personName(authorRng),
    },
    tags,
    createdAt,
    updatedAt,
    attachments,
  };
}
