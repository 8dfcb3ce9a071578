import { ImportFailure } from "@porter/failures";
import fc from "fast-check";
import { parse } from "parse5";
import type { DefaultTreeAdapterMap } from "parse5";
import { describe, it } from "vitest";
import { findDataScriptText } from "../src/data-script.js";
import { extractEmbeddedJson } from "../src/extract.js";

/*
 * Differential test: on generated pages the extractor must return exactly what parse5 (an
 * HTML5 parser, scripting enabled) gives as the text of the first HTML `script` element
 * whose id is `document-data`, in tree order, outside template content.
 *
 * The grammar covers what decides where that element is and what its text is: attribute
 * syntax (quotes, `>` in values, `=` names, `/`, no white space, duplicates, character
 * references), comments and bogus comments, raw-text and RCDATA elements, plaintext,
 * templates, script data escapes (`<!--<script>`), end tags with attributes, case, white
 * space, CR and NUL. Out of the grammar, as out of the extractor's model: svg/math, select,
 * frameset and tables (whose foster parenting reorders the tree).
 */

type Element = DefaultTreeAdapterMap["element"];
type ParentNode = DefaultTreeAdapterMap["parentNode"];
const HTML_NS = "http://www.w3.org/1999/xhtml";

/** The oracle: parse5's tree, walked in tree order; template content is not in `childNodes`. */
function oracle(html: string): string | undefined {
  const stack: ParentNode[] = [parse(html)];
  while (stack.length > 0) {
    const node = stack.pop() as ParentNode;
    for (let k = node.childNodes.length - 1; k >= 0; k--) {
      const child = node.childNodes[k];
      if (child !== undefined && "childNodes" in child) stack.push(child as ParentNode);
    }
    if ("tagName" in node) {
      const el = node as Element;
      if (el.tagName === "script" && el.namespaceURI === HTML_NS && el.attrs.find((a) => a.name === "id")?.value === "document-data") {
        return el.childNodes.map((c) => ("value" in c ? c.value : "")).join("");
      }
    }
  }
  return undefined;
}

function extracted(html: string): string | undefined {
  try {
    return extractEmbeddedJson(html);
  } catch (err) {
    if (err instanceof ImportFailure && err.kind === "no_embedded_json") return undefined;
    throw err;
  }
}

const ws = [" ", "\n", "\t", "\r\n", "\r", "\f", "  "];
const idValues = [
  "document-data",
  "document-data",
  "document&#45;data",
  "document&#x2d;data",
  "document&#X2D;data",
  "document&#0045;data",
  "document&#45data",
  "&#100;ocument-data",
  "document&#45;&#x64;ata",
  "document&hyphen;data",
  "document&dash;data",
  "document&minus;data",
  "document&#x2d",
  "document&#;data",
  "document&#x110000;data",
  "document&amp;data",
  "document-data ",
  "Document-data",
  "document-data\0",
  "document-data-preview",
  "documentdata",
  "",
];
const otherValues = ["x", "a > b", ">", "'", '"', "a=b", "id=document-data", "<script id=document-data>", "&gt;", "/", ""];
const attributeSeparator = [" ", "", "/", " / ", "\n", "\r\n"];
const tagEnd = [">", " >", "/>", "\n>", " / >", ""];
const scriptName = ["script", "script", "SCRIPT", "Script", "scRIPT", "scriptx", "scripts"];
/** Text inside a script, biased toward what moves its end: escapes, end tags, CR and NUL. */
const scriptText = [
  '{"id":"doc-1"}',
  "{}",
  "x",
  "<!--",
  "-->",
  "--",
  "-",
  "<!--<script>",
  "<!--<script ",
  "<!--<SCRIPT/",
  "<script>",
  "</script>",
  "</SCRIPT >",
  "</script x='>'>",
  "</script/>",
  "</script",
  "</scriptx>",
  "<\\/script>",
  "</",
  "<",
  ">",
  "<!-->",
  "<!",
  "\r\n",
  "\r",
  "\0",
  " ",
  "&amp;",
];
const scriptClose = ["</script>", "</SCRIPT>", "</script >", "</script\n>", '</script a=">">', "</script/>", "</script x", ""];
const rawTextName = ["style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript", "STYLE", "TextArea"];
const markup = [
  "<!-- x -->",
  "<!-->",
  "<!--->",
  "<!---->",
  "<!-- --!>",
  "<!-- -- -->",
  "<!--",
  "-->",
  "--!>",
  "<!x ",
  "<!x>",
  "<? x ",
  "<?x>",
  "</ x ",
  "</>",
  "</ x>",
  "<![CDATA[ ",
  "]]>",
  "<!DOCTYPE html>",
  "<!doctype html ",
  "<plaintext>",
  "<PLAINTEXT>",
];
const ordinary = [
  "<div>",
  "</div>",
  '<p class="a>b">',
  "<p>",
  "</p>",
  "<b>",
  "</b>",
  "<i>",
  "</i>",
  "<a href=x>",
  "</a>",
  "<br/>",
  "<html>",
  "<head>",
  "</head>",
  "<body>",
  "</body>",
  "</html>",
  "<template>",
  "<TEMPLATE>",
  "</template>",
  "</template x>",
  "<pre>",
  "<div id=document-data>",
  "<scriptx id=document-data>",
  "</script>",
  "</style>",
  "</textarea>",
];
const text = ["a", "<", ">", " ", "&amp;", "<3", "< script>", "\r\n", "\0", "=", '"', "'", "&"];

const idNames = ["id", "ID", "Id", "iD"];
const otherNames = ["type", "data-note", "class", "a", "src", "data-id", "=x", "=", "x'", 'x"', "<a"];
const bareAttributes = ["async", "defer", "id", "ida", "xid"];
const quotes = ['"', "'", ""];
const dataIds = ['id="document-data"', "id=document-data", "id='document&#45;data'"];
const closeAttributes = ["", " ", ' a=">"', "x"];

/**
 * Builds a page from a list of numbers, each one choice of the grammar below (0 once the
 * list runs out). fast-check shrinks the list, hence the page, toward few and first choices;
 * a flat list of numbers is several times cheaper to generate than nested arbitraries, which
 * is what lets 100,000 pages run in seconds.
 */
class Page {
  private next = 0;
  constructor(private readonly choices: readonly number[]) {}

  private pick(n: number): number {
    const c = this.choices[this.next++];
    return c === undefined ? 0 : c % n;
  }
  private of(list: readonly string[]): string {
    return list[this.pick(list.length)] as string;
  }
  private many(max: number, one: () => string): string {
    let out = "";
    for (let k = this.pick(max + 1); k > 0; k--) out += one();
    return out;
  }
  private optWs(): string {
    return this.pick(2) === 0 ? "" : this.of(ws);
  }
  /** One attribute value in any of its syntaxes; some of them break the tag on purpose. */
  private valued(values: readonly string[]): string {
    const before = this.optWs();
    const after = this.optWs();
    const v = this.of(values);
    const q = this.of(quotes);
    return `${before}=${after}${q}${v}${q}`;
  }
  private attribute(): string {
    const kind = this.pick(8);
    if (kind < 4) return this.of(idNames) + (this.pick(6) === 0 ? "" : this.valued(idValues));
    if (kind < 7) return this.of(otherNames) + this.valued(otherValues);
    return this.of(bareAttributes);
  }
  private attributes(): string {
    return this.many(3, () => this.of(attributeSeparator) + this.attribute());
  }
  private scriptBody(): string {
    return this.many(5, () => this.of(scriptText));
  }
  private fragment(): string {
    const kind = this.pick(24);
    if (kind < 6) return `<${this.of(scriptName)}${this.of(["", " ", "\n", "/", "\t"])}${this.attributes()}${this.of(tagEnd)}${this.scriptBody()}${this.of(scriptClose)}`;
    if (kind < 9) return `<${this.of(["script", "SCRIPT"])}${this.attributes()} ${this.of(dataIds)}${this.attributes()}>${this.scriptBody()}${this.of(scriptClose)}`;
    if (kind < 11) return `<${this.of(scriptName)} ${this.attributes()}${this.of(tagEnd)}`;
    if (kind < 14) {
      const name = this.of(rawTextName);
      const open = `<${name}${this.attributes()}>${this.scriptBody()}`;
      return this.pick(4) === 0 ? open : `${open}</${name.toLowerCase()}${this.of(closeAttributes)}>`;
    }
    if (kind < 17) return this.of(markup);
    if (kind < 21) return this.of(ordinary);
    if (kind < 23) return this.of(text);
    return this.of(scriptText);
  }
  build(fragments: number): string {
    let html = "";
    for (let k = 0; k < fragments; k++) html += this.fragment();
    return html;
  }
}

export const page = fc
  .tuple(fc.integer({ min: 1, max: 6 }), fc.array(fc.nat(), { minLength: 16, maxLength: 64 }))
  .map(([fragments, choices]) => new Page(choices).build(fragments));

/** Four runs of 25,000 pages: 100,000 pages per test run, each part reported on its own. */
const RUNS = 25_000;

describe("extractEmbeddedJson against parse5", () => {
  for (const part of [1, 2, 3, 4]) {
    it(`agrees on ${RUNS} generated pages (part ${part})`, () => {
      fc.assert(
        // A boolean, not expect(): it keeps 100,000 runs cheap; fast-check prints the page that fails.
        fc.property(page, (html) => findDataScriptText(html) === oracle(html)),
        { numRuns: RUNS },
      );
    });
  }

  it("agrees on pages that hold a data script in a template, in raw text and after it", () => {
    const wrapped = fc
      .tuple(fc.constantFrom("<template>", "<textarea>", "<style>", "<title>", "<noscript>", "<!--", "<script><!--<script>"), page, fc.constantFrom("</template>", "</textarea>", "</style>", "</title>", "</noscript>", "-->", "</script>-->"), page)
      .map(([a, b, c, d]) => `${a}${b}${c}${d}`);
    fc.assert(
      fc.property(wrapped, (html) => extracted(html) === oracle(html)),
      { numRuns: 5_000 },
    );
  });
});
