import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, sampleDocument, type TestDatabase } from "@porter/testing";
import { loadDocument, type DocumentRecord } from "../src/index.js";
import { ledgerId, seedRun } from "./fixtures.js";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase("porter_loader_fidelity");
});

afterAll(async () => {
  await db?.drop();
});

async function load(document: DocumentRecord): Promise<string> {
  const seed = await seedRun(db.pool, [document.id]);
  const loaded = await loadDocument(db.pool, {
    ledgerId: ledgerId(seed, document.id),
    runId: seed.runId,
    attempts: 1,
    durationMs: 1,
    document,
  });
  expect(loaded).toBe(true);
  const { rows } = await db.pool.query("SELECT id FROM documents WHERE legacy_id = $1", [document.id]);
  expect(rows).toHaveLength(1);
  return (rows[0] as { id: string }).id;
}

interface StoredDocument {
  legacy_id: string;
  title: string;
  body: string;
  author_id: string;
  author_name: string;
  tags: string[];
}

async function stored(id: string): Promise<StoredDocument> {
  const { rows } = await db.pool.query(
    "SELECT legacy_id, title, body, author_id, author_name, tags FROM documents WHERE id = $1",
    [id],
  );
  return rows[0] as StoredDocument;
}

const UNICODE_BODY = [
  "emoji 🚀👩‍👩‍👧‍👦🏳️‍🌈 and skin tones 👍🏽",
  "CJK 日本語の文章、中文，한국어",
  "RTL עברית ومرحبا بالعالم \u200f mixed \u202e override",
  "combining e\u0301 vs \u00e9, a\u0308\u0301, Z\u0335\u0321a\u0334l\u0338g\u0337o",
  `quotes "double" 'single' “curly” ‘curly’ «guillemets» \`back\``,
  "backslashes \\ \\\\ \\n \\u0041 C:\\path\\to",
  "newlines\nLF\r\nCRLF\rCR\ttab\u2028LS\u2029PS",
  "zero width \u200b\u200c\u200d\ufeff, astral 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𐍈, html </script><!-- -->&amp;",
  "json-ish {\"a\":[1,2]} and SQL-ish '; DROP TABLE documents; --",
].join("\n");

describe("loadDocument stores every field exactly as the source has it", () => {
  it("text fields byte for byte: unicode body, title, author", async () => {
    const doc = sampleDocument("unicode/ид 🚀 'q' \"dq\" \\", {
      title: "Tïtlé — “quoted” \\ 标题 \u0301",
      body: UNICODE_BODY,
      author: { id: "author\\id\"'", name: "Zoë O'Brien‐Łukasz ✍️" },
    });
    const id = await load(doc);
    const row = await stored(id);
    expect(row.legacy_id).toBe(doc.id);
    expect(row.title).toBe(doc.title);
    expect(row.body).toBe(doc.body);
    expect(row.author_id).toBe(doc.author.id);
    expect(row.author_name).toBe(doc.author.name);
    // and byte for byte in UTF-8, compared inside Postgres too
    const { rows } = await db.pool.query(
      "SELECT body = $2 AS same, octet_length(body) AS bytes FROM documents WHERE id = $1",
      [id, doc.body],
    );
    expect(rows[0]).toEqual({ same: true, bytes: Buffer.byteLength(doc.body, "utf8") });
  });

  it("tags with quotes, braces, commas, backslashes, NULL-looking and empty strings", async () => {
    const tags = [
      'say "hi"',
      "it's",
      "{braces}",
      "a,b,c",
      "back\\slash",
      "\\",
      '"',
      "",
      "NULL",
      "null",
      " padded ",
      "semi;colon",
      "new\nline",
      "日本",
      "",
    ];
    const id = await load(sampleDocument("tags", { tags }));
    expect((await stored(id)).tags).toEqual(tags);
    const { rows } = await db.pool.query("SELECT tags = $2::text[] AS same, cardinality(tags) AS n FROM documents WHERE id = $1", [
      id,
      tags,
    ]);
    expect(rows[0]).toEqual({ same: true, n: tags.length });
  });

  it("no tags is an empty array, not NULL", async () => {
    const id = await load(sampleDocument("no-tags", { tags: [] }));
    const { rows } = await db.pool.query("SELECT tags IS NULL AS isnull, cardinality(tags) AS n FROM documents WHERE id = $1", [id]);
    expect(rows[0]).toEqual({ isnull: false, n: 0 });
  });

  it.each([
    ["2024-02-29T23:59:59.999999Z", "2000-01-01T00:00:00.000001+14:00"],
    ["2021-06-07T08:09:10.123456+02:00", "1999-12-31T23:59:59.500001-09:30"],
    ["0001-01-01T00:00:00.000000Z", "9999-12-31T23:59:59.999999-15:59"],
    ["2020-01-02T03:04:05Z", "2020-01-02T03:04:05.1+05:45"],
  ])("timestamps %s / %s are the same instants, to the microsecond", async (createdAt, updatedAt) => {
    const id = await load(sampleDocument(`ts-${createdAt}`, { createdAt, updatedAt }));
    const { rows } = await db.pool.query(
      `SELECT created_at = $2::timestamptz AS created_same, updated_at = $3::timestamptz AS updated_same,
              extract(microseconds FROM created_at)::int % 1000000 AS created_us,
              extract(microseconds FROM updated_at)::int % 1000000 AS updated_us
         FROM documents WHERE id = $1`,
      [id, createdAt, updatedAt],
    );
    const micros = (t: string) => {
      const frac = /\.(\d+)/.exec(t)?.[1] ?? "";
      return Number(frac.padEnd(6, "0").slice(0, 6));
    };
    expect(rows[0]).toEqual({ created_same: true, updated_same: true, created_us: micros(createdAt), updated_us: micros(updatedAt) });
  });

  it("attachment sizes beyond 2^31 and 2^32 round-trip exactly (bigint as string)", async () => {
    const attachments = [
      { name: "huge.iso", url: "https://files.example/huge.iso?sig=a%2Fb&x=1", size: 5_000_000_000_123 },
      { name: "zero", url: "https://files.example/zero", size: 0 },
      { name: "2^31", url: "https://files.example/a", size: 2_147_483_648 },
      { name: "max safe", url: "https://files.example/m", size: Number.MAX_SAFE_INTEGER },
      { name: "naïve “name” \\ 📎", url: "https://files.example/ü", size: 42 },
    ];
    const id = await load(sampleDocument("sizes", { attachments }));
    const { rows } = await db.pool.query(
      "SELECT position, name, url, size_bytes FROM document_attachments WHERE document_id = $1 ORDER BY position",
      [id],
    );
    expect(rows).toEqual(
      attachments.map((a, position) => ({ position, name: a.name, url: a.url, size_bytes: String(a.size) })),
    );
    expect((rows[0] as { size_bytes: string }).size_bytes).toBe("5000000000123");
  });

  it("a 3 MB body loads whole", async () => {
    const chunk = "Lorem ipsum dolor sit amet, 日本語 🚀 \"q\" \\ \n";
    const body = chunk.repeat(Math.ceil((3 * 1024 * 1024) / Buffer.byteLength(chunk))) + "END";
    expect(Buffer.byteLength(body)).toBeGreaterThan(3 * 1024 * 1024);
    const id = await load(sampleDocument("big", { body }));
    const { rows } = await db.pool.query(
      "SELECT octet_length(body) AS bytes, md5(body) AS md5, right(body, 3) AS tail FROM documents WHERE id = $1",
      [id],
    );
    const { createHash } = await import("node:crypto");
    expect(rows[0]).toEqual({
      bytes: Buffer.byteLength(body),
      md5: createHash("md5").update(body, "utf8").digest("hex"),
      tail: "END",
    });
  });

  it("records the run that wrote it and when", async () => {
    const doc = sampleDocument("meta");
    const seed = await seedRun(db.pool, [doc.id]);
    await loadDocument(db.pool, { ledgerId: ledgerId(seed, doc.id), runId: seed.runId, attempts: 1, durationMs: 1, document: doc });
    const { rows } = await db.pool.query(
      "SELECT run_id, imported_at > now() - interval '1 minute' AS recent FROM documents WHERE legacy_id = $1",
      [doc.id],
    );
    expect(rows[0]).toEqual({ run_id: seed.runId, recent: true });
  });

  it("a body long enough to be compressed is stored with lz4, and reads back whole", async () => {
    // Past the ~2 kB at which Postgres compresses a row's largest value; repetitive, so it compresses.
    const body = `${UNICODE_BODY}\n`.repeat(12);
    const id = await load(sampleDocument("compressed-body", { body }));
    const { rows } = await db.pool.query<{ compression: string | null; body: string }>(
      "SELECT pg_column_compression(body) AS compression, body FROM documents WHERE id = $1",
      [id],
    );
    expect(rows[0]?.compression).toBe("lz4");
    expect(rows[0]?.body).toBe(body);
  });
});

