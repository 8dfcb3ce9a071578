// Test helpers: an extractor as a client would write it, and small fetch wrappers.

const DATA_TAG =
  /<script\s+(?:id=(["']?)document-data\1\s+type=(["']?)application\/json\2|type=(["']?)application\/json\3\s+id=(["']?)document-data\4)\s*>([\s\S]*?)<\/script>/i;

/** The text inside the document-data script, or null when the page has none. */
export function extractJson(html: string): string | null {
  const match = DATA_TAG.exec(html);
  return match === null ? null : (match[5] ?? "");
}

/** Where the document-data tag starts, or -1. */
export function dataTagIndex(html: string): number {
  return DATA_TAG.exec(html)?.index ?? -1;
}

export function docUrl(base: string, id: string): string {
  return `${base}/documents/${encodeURIComponent(id)}`;
}

export async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, init);
  return { status: res.status, body: await res.json() };
}

/** First index in [0, size) that satisfies `pred`, or throws (so a test never passes vacuously). */
export function findIndex(size: number, pred: (i: number) => boolean): number {
  for (let i = 0; i < size; i++) if (pred(i)) return i;
  throw new Error("no index matches");
}
