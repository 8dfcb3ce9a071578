import type { LegacyDocument } from "../src/index.js";

export function sampleDocument(overrides: Partial<LegacyDocument> = {}): LegacyDocument {
  return {
    id: "doc-1",
    title: "A title",
    body: "<p>Hello</p>",
    author: { id: "u1", name: "Ada" },
    tags: ["a", "b"],
    createdAt: "2020-01-02T03:04:05Z",
    updatedAt: "2021-06-07T08:09:10.123456789+02:00",
    attachments: [{ name: "file.pdf", url: "https://example.com/file.pdf", size: 1234 }],
    ...overrides,
  };
}

/** JSON as the legacy service writes it in a page: `</` becomes `<\/`. */
export function embedJson(value: unknown): string {
  return JSON.stringify(value).replaceAll("</", "<\\/");
}

export function page(value: unknown, openTag = '<script id="document-data" type="application/json">', close = "</script>"): string {
  return `<!doctype html><html><head><title>t</title></head><body>${openTag}${embedJson(value)}${close}</body></html>`;
}
