import type pg from "pg";
import type { Corpus } from "@porter/legacy-sim";

export interface Expected {
  succeeded: Set<string>;
  failed: Map<string, string>;
}

/** What a correct migration of `corpus` ends with: ids that load, and ids that fail with their kind. */
export function expectedOutcome(corpus: Corpus): Expected {
  const succeeded = new Set<string>();
  const failed = new Map<string, string>();
  for (let i = 0; i < corpus.size; i++) {
    const e = corpus.expectation(i);
    if (e.outcome === "succeeded") succeeded.add(corpus.id(i));
    else failed.set(corpus.id(i), e.kind);
  }
  return { succeeded, failed };
}

interface DocRow {
  legacy_id: string;
  title: string;
  body: string;
  author_id: string;
  author_name: string;
  tags: string[];
  run_id: string;
  attachments: { name: string; url: string; size: string }[];
}

/**
 * Compares every document in the target with the source, field by field.
 * Returns a list of differences (empty when they agree). Timestamps are
 * compared by Postgres as instants at full precision.
 */
export async function diffTarget(pool: pg.Pool, corpus: Corpus, expected: Expected): Promise<string[]> {
  const problems: string[] = [];
  const { rows } = await pool.query<DocRow>(
    `SELECT d.legacy_id, d.title, d.body, d.author_id, d.author_name, d.tags, d.run_id,
            coalesce((SELECT json_agg(json_build_object('name', a.name, 'url', a.url, 'size', a.size_bytes::text)
                               ORDER BY a.position)
                        FROM document_attachments a WHERE a.document_id = d.id), '[]') AS attachments
       FROM documents d`,
  );
  const seen = new Set<string>();
  const ids: string[] = [];
  const created: string[] = [];
  const updated: string[] = [];
  for (const row of rows) {
    seen.add(row.legacy_id);
    const i = corpus.indexOf(row.legacy_id);
    if (i === undefined || !expected.succeeded.has(row.legacy_id)) {
      problems.push(`unexpected document ${JSON.stringify(row.legacy_id)}`);
      continue;
    }
    const doc = corpus.document(i);
    const field = (name: string, a: unknown, b: unknown) => {
      if (JSON.stringify(a) !== JSON.stringify(b)) problems.push(`${JSON.stringify(row.legacy_id)}: ${name} differs`);
    };
    field("title", row.title, doc.title);
    field("body", row.body, doc.body);
    field("author", [row.author_id, row.author_name], [doc.author.id, doc.author.name]);
    field("tags", row.tags, doc.tags);
    field(
      "attachments",
      row.attachments,
      doc.attachments.map((a) => ({ name: a.name, url: a.url, size: String(a.size) })),
    );
    ids.push(row.legacy_id);
    created.push(doc.createdAt);
    updated.push(doc.updatedAt);
  }
  for (const id of expected.succeeded) if (!seen.has(id)) problems.push(`missing document ${JSON.stringify(id)}`);
  const { rows: timeDiffs } = await pool.query<{ legacy_id: string }>(
    `SELECT d.legacy_id FROM documents d
       JOIN unnest($1::text[], $2::timestamptz[], $3::timestamptz[]) AS e(legacy_id, c, u) USING (legacy_id)
      WHERE d.created_at <> e.c OR d.updated_at <> e.u`,
    [ids, created, updated],
  );
  for (const r of timeDiffs) problems.push(`${JSON.stringify(r.legacy_id)}: timestamps differ`);
  return problems;
}
