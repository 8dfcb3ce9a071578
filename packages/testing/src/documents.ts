import type { DocumentRecord } from "@porter/db";

/**
 * A valid legacy document, the one every test starts from. Its values are
 * chosen to catch lost fidelity: a body with non-ASCII text, quotes, a
 * backslash and a `</script>` (which a page must write `<\/script>`),
 * timestamps with microseconds and an offset, an attachment over 2^32 bytes.
 */
export function sampleDocument(id = "doc-1", overrides: Partial<DocumentRecord> = {}): DocumentRecord {
  return {
    id,
    title: `Title of ${id}`,
    body: `<p>Body of ${id}</p> — ünïcödé 🚀 "quoted" \\ </script> end`,
    author: { id: "u1", name: "Ada" },
    tags: ["alpha", "beta"],
    createdAt: "2020-01-02T03:04:05.123456Z",
    updatedAt: "2021-06-07T08:09:10.654321+02:00",
    attachments: [{ name: "file.pdf", url: "https://example.com/file.pdf", size: 5_000_000_000 }],
    ...overrides,
  };
}
