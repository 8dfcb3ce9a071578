import { ImportFailure } from "@porter/failures";
import { describe, expect, it } from "vitest";
import { extractDocument, extractEmbeddedJson, isStorableText, legacyDocumentSchema } from "../src/index.js";
import { documentPage, embedJson, sampleDocument } from "@porter/testing";

function failureOf(fn: () => unknown): ImportFailure {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ImportFailure);
    return err as ImportFailure;
  }
  throw new Error("expected a failure");
}

const DOC = sampleDocument();
const JSON_TEXT = embedJson(DOC);

describe("extractEmbeddedJson", () => {
  const tags: [string, string][] = [
    ["double quotes", '<script id="document-data" type="application/json">'],
    ["single quotes", "<script id='document-data' type='application/json'>"],
    ["unquoted", "<script id=document-data>"],
    ["id last", '<script type="application/json" id="document-data">'],
    ["id between", '<script type="application/json" id="document-data" nonce="abc">'],
    ["upper case", '<SCRIPT ID="document-data" TYPE="application/json">'],
    ["mixed case", '<Script Id="document-data">'],
    ["white space and newlines", '<script\n\tid = "document-data"\n  type="application/json"\n>'],
    ["spaces around =", "<script type=application/json id =\n'document-data' >"],
    ["no space between attributes", '<script type="application/json"id="document-data">'],
    ["boolean attribute first", '<script async id="document-data">'],
  ];
  it.each(tags)("finds the tag: %s", (_name, openTag) => {
    expect(extractEmbeddedJson(documentPage(DOC, openTag))).toBe(JSON_TEXT);
  });

  it.each(["</script >", "</SCRIPT>", "</script\n>", "</Script \t >"])("accepts the closing tag %j", (close) => {
    expect(extractEmbeddedJson(documentPage(DOC, '<script id="document-data">', close))).toBe(JSON_TEXT);
  });

  it("skips other scripts and decoys before it", () => {
    const html = [
      "<script>var x = 1 < 2;</script>",
      '<script src="/app.js"></script >',
      '<script id="document-data-preview" type="application/json">{"id":"preview"}</script>',
      '<script data-id="document-data">{"id":"data-id"}</script>',
      '<script id="other" class="document-data">{"id":"class"}</script>',
      '<script data-note="id=document-data">{"id":"in a value"}</script>',
      "<script>document.write('<script id=\"document-data\">{\"id\":\"in a string\"}<\\/script>')</script>",
      '<!-- <script id="document-data">{"id":"commented out"}</script> -->',
      '<scripts id="document-data">{"id":"scripts"}</scripts>',
      `<script id="document-data">${JSON_TEXT}</script>`,
      '<script id="document-data">{"id":"second"}</script>',
    ].join("\n");
    expect(extractEmbeddedJson(html)).toBe(JSON_TEXT);
    expect(extractDocument(html, "doc-1")).toEqual(DOC);
  });

  it("takes the first id attribute, as HTML does", () => {
    expect(() => extractEmbeddedJson('<script id="x" id="document-data">{}</script>')).toThrow(ImportFailure);
  });

  it("round-trips </ written as <\\/ and decodes nothing else", () => {
    const body = '<p>a</p><script>alert("x")</script> &amp; &lt; \\ "quoted" \u2028 </SCRIPT >';
    const doc = sampleDocument("doc-1", { body });
    const json = extractEmbeddedJson(documentPage(doc));
    expect(json).toContain("<\\/script>");
    expect(json).toContain("&amp;");
    expect(extractDocument(documentPage(doc)).body).toBe(body);
  });

  it("keeps unicode as is", () => {
    const doc = sampleDocument("ключ/日本 😀", { title: "Ünïcödé 🎉 \u00a0", body: "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 e\u0301", tags: ["ß", "中文"] });
    expect(extractDocument(documentPage(doc), doc.id)).toEqual(doc);
  });

  it("fails with no_embedded_json when there is no tag", () => {
    for (const html of ["", "<html><body>nothing</body></html>", '<script id="document-data-preview">{}</script>', '<div id="document-data">{}</div>']) {
      const f = failureOf(() => extractEmbeddedJson(html));
      expect(f.kind).toBe("no_embedded_json");
      expect(f.stage).toBe("extract");
      expect(f.retryable).toBe(false);
    }
  });

  it("takes the rest of the page as the text of a script that is never closed", () => {
    expect(extractEmbeddedJson('<script id="document-data">{"id":"x"}')).toBe('{"id":"x"}');
    // The page ends inside the end tag's attributes: the parser drops that tag.
    expect(extractEmbeddedJson('<script id="document-data">{"id":"x"}</script a="')).toBe('{"id":"x"}');
    // `</script` without white space, `/` or `>` after it is text.
    expect(extractEmbeddedJson('<script id="document-data">{"id":"x"}</script')).toBe('{"id":"x"}</script');
  });
});

/** The text an HTML5 parser gives the first `<script id="document-data">` of each page below. */
describe("extractEmbeddedJson agrees with HTML5", () => {
  const found: [string, string, string][] = [
    ["> in another attribute's quoted value", '<script data-note="a > b" id="document-data" type="application/json">{"a":1}</script>', '{"a":1}'],
    ["> in a single-quoted value", "<script data-x='>' id=document-data>{}</script>", "{}"],
    ["a numeric reference in the id", '<script id="document&#45;data">{}</script>', "{}"],
    ["a hex reference in the id", "<script id='document&#x2D;data'>{}</script>", "{}"],
    ["a reference without ;", "<script id=document&#45data>{}</script>", "{}"],
    ["a reference for a letter", '<script id="&#100;ocument-data">{}</script>', "{}"],
    ["ID in upper case", "<SCRIPT ID=document-data>{}</SCRIPT>", "{}"],
    ["attributes after /", '<script/id="document-data">{}</script>', "{}"],
    ["id after a quoted value with no space", '<script a="x"id="document-data">{}</script>', "{}"],
    ["an attribute named =", '<script =x id="document-data">{}</script>', "{}"],
    ["a self-closing data script", '<script id="document-data"/>{}</script>', "{}"],
    ["a comment closed by --!>", '<!-- a --!><script id="document-data">{}</script>', "{}"],
    ["empty comments <!--> and <!--->", '<!--><!---><script id="document-data">{}</script>', "{}"],
    ["an end tag with attributes", '<script>a</script x=">"><script id="document-data">{}</script>', "{}"],
    ["its own end tag with attributes", '<script id="document-data">{}</script type=">">', "{}"],
    ["its own end tag followed by /", '<script id="document-data">{}</script/>', "{}"],
    [
      "an earlier script whose <!--<script> hides </script>",
      '<script>w("<!--<script>");</script><script id="document-data">{"decoy":1}</script>-->;</script><script id="document-data">{}</script>',
      "{}",
    ],
    ["<!-- in its own text, without <script", '<script id="document-data">{"a":"<!--"}</script>', '{"a":"<!--"}'],
    ["<!--<script> in its own text", '<script id="document-data">{"a":"<!--<script>"}</script>-->"}</script>', '{"a":"<!--<script>"}</script>-->"}'],
    ["decoys in textarea, title, style, xmp, iframe, noembed, noframes, noscript", `${["textarea", "title", "style", "xmp", "iframe", "noembed", "noframes", "noscript"].map((t) => `<${t}><script id="document-data">{"decoy":1}</script></${t.toUpperCase()} >`).join("")}<script id="document-data">{}</script>`, "{}"],
    ["a decoy in a template", '<template><script id="document-data">{"decoy":1}</script></template><script id="document-data">{}</script>', "{}"],
    ["a decoy in nested templates", '<template><template></template><script id="document-data">{"decoy":1}</script></template><script id="document-data">{}</script>', "{}"],
    ["CRLF, CR and NUL in the text", '<script id="document-data">{\r\n"a":\r"\0"}</script>', '{\n"a":\n"\uFFFD"}'],
  ];
  it.each(found)("finds the element: %s", (_name, html, text) => {
    expect(extractEmbeddedJson(html)).toBe(text);
  });

  const missing: [string, string][] = [
    ["the id as a character reference named &hyphen;", '<script id="document&hyphen;data">{}</script>'],
    ["a bogus comment <!x …>", '<!x <script id="document-data">{}</script>'],
    ["a bogus comment <? …>", '<? <script id="document-data">{}</script>'],
    ["a bogus comment </ …>", '</ <script id="document-data">{}</script>'],
    ["CDATA outside foreign content", '<![CDATA[ <script id="document-data">{}</script> ]]>'],
    ["an unclosed comment", '<!-- <script id="document-data">{}</script>'],
    ["after <plaintext>", '<plaintext><script id="document-data">{}</script>'],
    ["only in a template", '<template><div><script id="document-data">{}</script></div></template>'],
    ["an unclosed textarea", '<textarea><script id="document-data">{}</script>'],
    ["a tag the page ends in", '<script id="document-data"'],
    ["<scriptx", '<scriptx id="document-data">{}</scriptx>'],
    ["the id in upper case", '<script id="DOCUMENT-DATA">{}</script>'],
    ["a NUL in the id", '<script id="document-data\0">{}</script>'],
    ["a second id", '<script id=x ID="document-data">{}</script>'],
  ];
  it.each(missing)("finds no element: %s", (_name, html) => {
    expect(failureOf(() => extractEmbeddedJson(html)).kind).toBe("no_embedded_json");
  });
});

describe("extractDocument", () => {
  it("parses and validates, stripping unknown fields", () => {
    const extra = { ...DOC, extra: 1, author: { ...DOC.author, email: "x" }, attachments: [{ ...DOC.attachments[0], mime: "a/b" }] };
    expect(extractDocument(documentPage(extra))).toEqual(DOC);
  });

  it.each([
    ["truncated, the page ends in it", '<script id="document-data">{"id":"doc-1","ti'],
    ["holding </script>, which ends the element", '<script id="document-data">{"id":"doc-1","body":"</script>"}</script>'],
    ["holding <!--<script>, which hides its </script>", '<script id="document-data">{"id":"doc-1","body":"<!--<script>"}</script><p>after</p>'],
  ])("reports broken JSON in a found element as invalid_json: %s", (_name, html) => {
    const f = failureOf(() => extractDocument(html, "doc-1"));
    expect(f.kind).toBe("invalid_json");
    expect(f.message).toMatch(/the embedded JSON does not parse/);
  });

  it("accepts a page that ends in the element when its JSON is whole", () => {
    expect(extractDocument(`<script id="document-data">${JSON_TEXT}`, "doc-1")).toEqual(DOC);
  });

  it("reports broken JSON as invalid_json with the parser's message", () => {
    const f = failureOf(() => extractDocument('<script id="document-data">{"id": "x",}</script>', "x"));
    expect(f.kind).toBe("invalid_json");
    expect(f.stage).toBe("extract");
    expect(f.message).toMatch(/page for document "x": the embedded JSON does not parse: .+/);
    expect(f.cause).toBeInstanceOf(SyntaxError);
  });

  const wrongShapes: [string, unknown, string][] = [
    ["array root", [], "(root)"],
    ["missing id", { ...DOC, id: undefined }, "id"],
    ["empty id", { ...DOC, id: "" }, "id"],
    ["number title", { ...DOC, title: 5 }, "title"],
    ["missing body", { ...DOC, body: undefined }, "body"],
    ["author not an object", { ...DOC, author: "ada" }, "author"],
    ["author name missing", { ...DOC, author: { id: "u1" } }, "author.name"],
    ["tags not an array", { ...DOC, tags: "a,b" }, "tags"],
    ["tag not a string", { ...DOC, tags: ["a", 2] }, "tags[1]"],
    ["createdAt missing", { ...DOC, createdAt: undefined }, "createdAt"],
    ["attachments null", { ...DOC, attachments: null }, "attachments"],
    ["attachment url missing", { ...DOC, attachments: [DOC.attachments[0], { name: "n", size: 1 }] }, "attachments[1].url"],
    ["size a string", { ...DOC, attachments: [{ name: "n", url: "u", size: "1" }] }, "attachments[0].size"],
  ];
  it.each(wrongShapes)("names the bad field: %s", (_name, value, path) => {
    const f = failureOf(() => extractDocument(documentPage(value)));
    expect(f.kind).toBe("invalid_document");
    expect(f.stage).toBe("extract");
    expect(f.message).toContain(`invalid document: ${path}: `);
  });

  it("says what was expected", () => {
    expect(failureOf(() => extractDocument(documentPage({ ...DOC, title: 5 }))).message).toMatch(/title: .*expected string/);
  });

  it.each([
    ["body", { body: "a\u0000b" }, /body: .*U\+0000 at index 1/],
    ["title", { title: "x\ud800y" }, /title: .*lone surrogate at index 1/],
    ["tags[0]", { tags: ["\udc00"] }, /tags\[0\]: .*lone surrogate/],
    ["author.name", { author: { id: "u", name: "\u0000" } }, /author\.name: .*U\+0000/],
    ["attachments[0].url", { attachments: [{ name: "n", url: "http://x/\ud83d", size: 1 }] }, /attachments\[0\]\.url: .*lone surrogate/],
    ["id", { id: "a\u0000" }, /id: .*U\+0000/],
  ])("rejects NUL and lone surrogates in %s", (_field, overrides, message) => {
    // JSON.stringify writes NUL as \u0000 and a lone surrogate as \udXXX, as a legacy service would.
    const f = failureOf(() => extractDocument(documentPage(sampleDocument("doc-1", overrides as object))));
    expect(f.kind).toBe("invalid_document");
    expect(f.message).toMatch(message);
  });

  it("accepts surrogate pairs written as JSON escapes", () => {
    const html = `<script id="document-data">${embedJson(DOC).replace('"Title of doc-1"', '"\\ud83d\\ude00"')}</script>`;
    expect(extractDocument(html).title).toBe("😀");
  });

  it.each([
    "2020-01-02T03:04:05Z",
    "2020-01-02T03:04:05.1Z",
    "2020-01-02T03:04:05.123Z",
    "2020-01-02T03:04:05.123456Z",
    "2020-01-02T03:04:05.123456789Z",
    "2020-01-02T03:04:05+02:00",
    "2020-01-02T03:04:05.999999-05:30",
    "2020-01-02T23:59:59-00:00",
    "2024-02-29T00:00:00Z",
    "2000-02-29T00:00:00Z",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999999+14:00",
  ])("accepts the timestamp %s unchanged", (ts) => {
    const doc = extractDocument(documentPage(sampleDocument("doc-1", { createdAt: ts, updatedAt: ts })));
    expect(doc.createdAt).toBe(ts);
    expect(doc.updatedAt).toBe(ts);
  });

  it.each([
    "2020-01-02",
    "2020-01-02T03:04:05",
    "2020-01-02 03:04:05Z",
    "2020-01-02T03:04Z",
    "2020-01-02T03:04:05.Z",
    "2020-01-02T03:04:05.1234567890Z",
    "2020-01-02T03:04:05+0200",
    "2020-01-02T03:04:05+02",
    "2020-01-02t03:04:05z",
    "2020-13-02T03:04:05Z",
    "2020-00-02T03:04:05Z",
    "2020-04-31T03:04:05Z",
    "2023-02-29T03:04:05Z",
    "1900-02-29T03:04:05Z",
    "0000-01-01T00:00:00Z",
    "2020-01-02T24:00:00Z",
    "2020-01-02T03:60:05Z",
    "2020-01-02T03:04:60Z",
    "2020-01-02T03:04:05+16:00",
    "+02020-01-02T03:04:05Z",
    " 2020-01-02T03:04:05Z",
    "2020-01-02T03:04:05Z\n",
    "yesterday",
  ])("rejects the timestamp %j", (ts) => {
    const f = failureOf(() => extractDocument(documentPage(sampleDocument("doc-1", { updatedAt: ts }))));
    expect(f.kind).toBe("invalid_document");
    expect(f.message).toMatch(/updatedAt: expected an ISO-8601 date-time/);
  });

  it.each([0, 2 ** 31, 2 ** 32 + 7, Number.MAX_SAFE_INTEGER])("accepts the size %d", (size) => {
    const doc = extractDocument(documentPage(sampleDocument("doc-1", { attachments: [{ name: "n", url: "u", size }] })));
    expect(doc.attachments[0]?.size).toBe(size);
  });

  it.each([1.5, -1, 2 ** 53, 1e300])("rejects the size %d", (size) => {
    const f = failureOf(() => extractDocument(documentPage(sampleDocument("doc-1", { attachments: [{ name: "n", url: "u", size }] }))));
    expect(f.kind).toBe("invalid_document");
    expect(f.message).toMatch(/attachments\[0\]\.size: expected a non-negative safe integer/);
  });

  it("refuses a page holding another document", () => {
    const f = failureOf(() => extractDocument(documentPage(DOC), "doc-2"));
    expect(f.kind).toBe("invalid_document");
    expect(f.message).toBe('page for "doc-2" holds document "doc-1"');
  });

  it("validates a 3 MB body", () => {
    const body = "é😀</script>x".repeat(250_000);
    const started = performance.now();
    expect(extractDocument(documentPage(sampleDocument("doc-1", { body })), "doc-1").body).toBe(body);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it("exposes the schema and the text check", () => {
    expect(legacyDocumentSchema.safeParse(DOC).success).toBe(true);
    expect(isStorableText("ok 😀")).toBe(true);
    expect(isStorableText("a\u0000")).toBe(false);
    expect(isStorableText("\ud800")).toBe(false);
  });
});

describe("hostile pages: work grows linearly with the page", () => {
  /** The fastest of a few runs, in ms: the least disturbed by other processes. */
  function fastest(html: string): number {
    let best = Infinity;
    for (let run = 0; run < 5; run++) {
      const started = performance.now();
      try {
        extractEmbeddedJson(html);
      } catch {
        // only the time matters here
      }
      best = Math.min(best, performance.now() - started);
    }
    return best;
  }

  const shapes: [string, (n: number) => string][] = [
    ['<script a=" repeated', (n) => '<script a="'.repeat(n)],
    ["<!-- repeated", (n) => "<!--".repeat(n)],
    ["<!----> repeated (each comment ends at once, --!> never comes)", (n) => "<!---->".repeat(n)],
    ["an attribute list without end", (n) => `<script ${"a=b ".repeat(n)}`],
    ["unclosed script tags", (n) => "<script>".repeat(n)],
    ["unclosed style tags", (n) => "<style>".repeat(n)],
    ["</script  repeated inside a script", (n) => `<script>${"</script  x=".repeat(n)}`],
    ["<!--<script> repeated inside a script", (n) => `<script>${"<!--<script>".repeat(n)}`],
    ["</style  repeated inside a style", (n) => `<style>${"</style".repeat(n)}`],
    ["numeric references in the id", (n) => `<script id="${"&#45".repeat(n)}">`],
    ["nested templates", (n) => `${"<template>".repeat(n)}<script id="document-data">{}</script>`],
  ];
  // Linear work takes about 4 times as long on a page 4 times larger; quadratic work, 16 times.
  it.each(shapes)("%s", (_name, make) => {
    const small = make(25_000);
    const large = make(100_000);
    fastest(small); // warm up
    const ratio = fastest(large) / Math.max(fastest(small), 0.05);
    expect(ratio).toBeLessThan(10);
  });
});

describe("hostile pages (guards against super-linear matching, not a benchmark)", () => {
  const MB = 1024 * 1024;
  function timed(fn: () => unknown): number {
    const started = performance.now();
    try {
      fn();
    } catch {
      // the outcome is checked separately
    }
    return performance.now() - started;
  }

  it("a 10 MB page without the tag", () => {
    const html = `<html><body>${"<div class=x>text &amp; more</div>\n".repeat(Math.ceil((10 * MB) / 35))}</body></html>`;
    expect(timed(() => extractEmbeddedJson(html))).toBeLessThan(2000);
    expect(failureOf(() => extractEmbeddedJson(html)).kind).toBe("no_embedded_json");
  });

  it("10 MB of <script without >", () => {
    const html = "<script ".repeat((10 * MB) / 8);
    expect(timed(() => extractEmbeddedJson(html))).toBeLessThan(2000);
    expect(failureOf(() => extractEmbeddedJson(html)).kind).toBe("no_embedded_json");
  });

  it("one <script followed by 10 MB without < or >", () => {
    const html = `<script id="document-data" ${"a".repeat(10 * MB)}`;
    expect(timed(() => extractEmbeddedJson(html))).toBeLessThan(2000);
  });

  it("100k open tags with no close", () => {
    const html = '<script id="document-data">'.repeat(100_000);
    expect(timed(() => extractEmbeddedJson(html))).toBeLessThan(2000);
    // The first is the element; it holds the rest of the page, which is not JSON.
    expect(failureOf(() => extractDocument(html)).kind).toBe("invalid_json");
  });

  it("100k decoy scripts with no close", () => {
    const html = "<script>".repeat(100_000) + '<script id="document-data">{}</script>';
    expect(timed(() => extractEmbeddedJson(html))).toBeLessThan(2000);
  });

  it("many closing tags, unclosed comments and quotes", () => {
    for (const html of [
      "</script  ".repeat(MB),
      "<!--".repeat(MB),
      `<script a="${'"'.repeat(MB)} id="document-data">{}</script>`,
      `<script ${"id= ".repeat(MB)}>{}</script>`,
      `<script ${"x='".repeat(MB)}>{}</script>`,
    ]) {
      expect(timed(() => extractEmbeddedJson(html))).toBeLessThan(2000);
    }
  });
});
