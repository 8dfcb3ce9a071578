import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { envSchema } from "@porter/config";
import { FAILURE_KINDS } from "@porter/failures";

// The docs, checked against the code: the configuration table in
// docs/operations.md names exactly the variables @porter/config reads, the
// failure-kinds table in README.md names exactly the kinds @porter/failures
// has (with the right "retried"), and every relative link in the docs points
// to a file of this repository that exists (and, into markdown, to a heading
// that exists).

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const README = join(ROOT, "README.md");
const OPERATIONS = join(ROOT, "docs", "operations.md");

/** README.md, docs/*.md and bench/README.md: the documentation a link may live in. */
function docFiles(): string[] {
  const docs = readdirSync(join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => join(ROOT, "docs", name));
  return [README, ...docs, join(ROOT, "bench", "README.md")];
}

const read = (file: string) => readFileSync(file, "utf8");
const shown = (file: string) => relative(ROOT, file);

/** The text without fenced code blocks (their lines blanked, so line numbers stay) and without inline code spans. */
function prose(markdown: string): string[] {
  let fenced = false;
  return markdown.split("\n").map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return "";
    }
    return fenced ? "" : line.replace(/`[^`]*`/g, "``");
  });
}

/** Splits a table row into its cells; `\|` inside a cell is not a separator. */
function cells(row: string): string[] {
  return row
    .trim()
    .replace(/^\|/, "")
    .replace(/\|$/, "")
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim());
}

/**
 * The body rows of the first table whose header row starts with `headers`,
 * as cell arrays. Throws, naming the file, when there is no such table.
 */
function table(file: string, headers: string[]): string[][] {
  const lines = read(file).split("\n");
  const start = lines.findIndex((line) => line.trim().startsWith("|") && headers.every((h, i) => cells(line)[i] === h));
  if (start === -1) throw new Error(`${shown(file)} has no table with the header | ${headers.join(" | ")} |`);
  const rows: string[][] = [];
  for (let i = start + 2; i < lines.length && (lines[i] ?? "").trim().startsWith("|"); i++) rows.push(cells(lines[i] as string));
  return rows;
}

/** The `code` spans of a cell. */
const codeSpans = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);

/** What is in `a` and not in `b`, sorted. */
const missingFrom = (a: Iterable<string>, b: Set<string>) => [...a].filter((x) => !b.has(x)).sort();

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, "")
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** The anchors of a markdown file's headings (GitHub numbers repeats: x, x-1, …). */
function anchors(file: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  let fenced = false;
  for (const line of read(file).split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = slug(heading[1] as string);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    result.add(n === 0 ? base : `${base}-${n}`);
  }
  return result;
}

interface Link {
  file: string;
  line: number;
  target: string;
}

/** Every inline link and image target outside code, with where it is. */
function links(file: string): Link[] {
  const found: Link[] = [];
  prose(read(file)).forEach((text, i) => {
    for (const m of text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      found.push({ file, line: i + 1, target: m[1] as string });
    }
  });
  return found;
}

/** Why a relative link is broken, or undefined when it resolves. */
function brokenBecause(link: Link): string | undefined {
  const [path = "", fragment] = link.target.split("#", 2);
  const target = path === "" ? link.file : resolve(dirname(link.file), decodeURIComponent(path));
  if (target !== ROOT.replace(/[/\\]$/, "") && !target.startsWith(ROOT.endsWith(sep) ? ROOT : ROOT + sep)) {
    return "points outside the repository (missing in every clone)";
  }
  if (!existsSync(target)) return `${shown(target)} does not exist`;
  if (fragment !== undefined && fragment !== "" && target.endsWith(".md") && statSync(target).isFile()) {
    if (!anchors(target).has(fragment)) return `${shown(target)} has no heading with the anchor #${fragment}`;
  }
  return undefined;
}

describe("the configuration table in docs/operations.md", () => {
  const documented = new Set(table(OPERATIONS, ["variable", "default", "meaning"]).flatMap((row) => codeSpans(row[0] ?? "")));
  const read = new Set(Object.keys(envSchema.shape));

  it("documents every variable @porter/config reads", () => {
    expect(missingFrom(read, documented), "variables in @porter/config's envSchema missing from the table in docs/operations.md").toEqual([]);
  });

  it("documents no variable @porter/config does not read", () => {
    expect(missingFrom(documented, read), "variables in the table in docs/operations.md missing from @porter/config's envSchema").toEqual([]);
  });
});

describe("the failure kinds table in README.md", () => {
  const rows = table(README, ["kind", "retried", "meaning", "what to do"]);
  const documented = new Map(rows.map((row) => [codeSpans(row[0] ?? "")[0] ?? row[0] ?? "", row[1]]));
  const kinds = new Set(Object.keys(FAILURE_KINDS));

  it("documents every kind @porter/failures has", () => {
    expect(missingFrom(kinds, new Set(documented.keys())), "kinds in @porter/failures' FAILURE_KINDS missing from the table in README.md").toEqual([]);
  });

  it("documents no kind @porter/failures does not have", () => {
    expect(missingFrom(documented.keys(), kinds), "kinds in the table in README.md missing from @porter/failures' FAILURE_KINDS").toEqual([]);
  });

  it("says which kinds are retried as the code does", () => {
    const wrong = Object.entries(FAILURE_KINDS)
      .filter(([kind, { retryable }]) => documented.has(kind) && documented.get(kind) !== (retryable ? "yes" : "no"))
      .map(([kind, { retryable }]) => `${kind}: README says "${documented.get(kind)}", @porter/failures says ${retryable ? "yes" : "no"}`);
    expect(wrong, "kinds whose 'retried' column disagrees with @porter/failures").toEqual([]);
  });
});

describe("links in README.md, docs/*.md and bench/README.md", () => {
  const all = docFiles().flatMap(links);
  const relativeLinks = all.filter((l) => !/^[a-z][a-z0-9+.-]*:/i.test(l.target));

  it("finds the links it checks", () => {
    // A parser that found nothing would pass everything.
    expect(relativeLinks.some((l) => l.file === README && l.target === "docs/design.md")).toBe(true);
  });

  it("point to files of this repository that exist", () => {
    const broken = relativeLinks.flatMap((l) => {
      const why = brokenBecause(l);
      return why === undefined ? [] : [`${shown(l.file)}:${l.line}: (${l.target}) ${why}`];
    });
    expect(broken, "relative links that do not resolve (file:line: (target) why)").toEqual([]);
  });
});
