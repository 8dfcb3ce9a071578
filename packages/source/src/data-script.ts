/*
 * Finds the text of the first HTML `<script>` element whose `id` is `document-data`, as an
 * HTML5 parser (WHATWG tokenizer and tree builder, scripting enabled) builds it, without
 * building a DOM.
 *
 * The scanner follows the tokenizer states that decide where tags are: data, tag open, tag
 * name and attribute states (quoted values may hold `>`), comments (`<!-->`, `<!--->`,
 * `--!>`), bogus comments (`<!…>`, `<?…>`, `</ …>`), DOCTYPE and CDATA outside foreign
 * content (both end at the first `>`); and the tree builder's switches into RAWTEXT (style,
 * xmp, iframe, noembed, noframes, noscript), RCDATA (textarea, title), PLAINTEXT and script
 * data with its escaped and double-escaped states. Scripts inside `<template>` belong to the
 * template's content, not to the document (getElementById does not see them), so they do
 * not count.
 *
 * Not modelled: foreign content (`<svg>`, `<math>`), `<select>`, `<frameset>` and the
 * reordering of table content by foster parenting.
 *
 * Every search moves forward from where the previous one stopped, so the work is linear in
 * the page. The text is a slice of the page unless it holds CR or NUL, which the parser
 * turns into LF and U+FFFD.
 */

const DATA_ID = "document-data";

const enum Char {
  Tab = 0x09,
  LineFeed = 0x0a,
  FormFeed = 0x0c,
  CarriageReturn = 0x0d,
  Space = 0x20,
  Exclamation = 0x21,
  DoubleQuote = 0x22,
  Hash = 0x23,
  Ampersand = 0x26,
  SingleQuote = 0x27,
  Dash = 0x2d,
  Slash = 0x2f,
  Semicolon = 0x3b,
  LessThan = 0x3c,
  Equals = 0x3d,
  GreaterThan = 0x3e,
  Question = 0x3f,
}

/** Elements whose content the tokenizer reads as text up to their own end tag. */
const RAW_TEXT_END = new Map(
  ["style", "xmp", "iframe", "noembed", "noframes", "noscript", "textarea", "title"].map((name) => [name, new RegExp(`</${name}[\\t\\n\\f\\r />]`, "gi")]),
);
/** In script data, the only places that change state: an end tag `</script`, or `<!--`. */
const SCRIPT_DATA_EVENT = /<(?:\/script[\t\n\f\r />]|!--)/gi;
/** A comment ends at the first `-->` or `--!>`. */
const COMMENT_END = /--!?>/g;

/** The tokenizer's white space; CR counts because the input stream turns it into LF. */
function isSpace(c: number): boolean {
  return c === Char.Space || c === Char.LineFeed || c === Char.Tab || c === Char.FormFeed || c === Char.CarriageReturn;
}

function isAsciiAlpha(c: number): boolean {
  return (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;
}

/** Whether `html` at `at` spells `script` (ASCII case-insensitive) followed by white space, `/` or `>`. */
function isScriptNameAt(html: string, at: number): boolean {
  if (html.length < at + 7) return false;
  for (let k = 0; k < 6; k++) {
    if ((html.charCodeAt(at + k) | 0x20) !== "script".charCodeAt(k)) return false;
  }
  const next = html.charCodeAt(at + 6);
  return isSpace(next) || next === Char.Slash || next === Char.GreaterThan;
}

/** A tag the scanner read: its lower-cased name (only when short and ASCII) and where the page goes on. */
interface Tag {
  name: string;
  /** Index just after the tag's `>`, or -1 when the page ends inside the tag (the tag is dropped). */
  end: number;
  /** Whether the first `id` attribute's decoded value is `document-data`. */
  hasDataId: boolean;
}

/** Longest tag name the scanner cares about (`plaintext`). */
const MAX_NAME = 9;

/**
 * Reads a tag from its name (`at` is the first letter after `<` or `</`) through its
 * attributes to the `>`, following the tag name and attribute states of the tokenizer.
 */
function readTag(html: string, at: number): Tag {
  const n = html.length;
  let i = at;
  while (i < n) {
    const c = html.charCodeAt(i);
    if (isSpace(c) || c === Char.Slash || c === Char.GreaterThan) break;
    i++;
  }
  // Tag names are lower-cased in ASCII only; a longer or non-ASCII name is none of ours.
  const raw = i - at <= MAX_NAME ? html.slice(at, i) : "";
  const name = /^[A-Za-z]+$/.test(raw) ? raw.toLowerCase() : "";
  let seenId = false;
  let hasDataId = false;
  // Before attribute name / after attribute name / self-closing start tag states.
  while (i < n) {
    let c = html.charCodeAt(i);
    if (isSpace(c) || c === Char.Slash) {
      i++;
      continue;
    }
    if (c === Char.GreaterThan) return { name, end: i + 1, hasDataId };
    // Attribute name state; a leading `=` belongs to the name.
    const nameStart = i;
    i++;
    while (i < n) {
      c = html.charCodeAt(i);
      if (isSpace(c) || c === Char.Slash || c === Char.GreaterThan || c === Char.Equals) break;
      i++;
    }
    // Duplicate attributes are dropped, so only the first `id` counts.
    const isFirstId = !seenId && i - nameStart === 2 && (html.charCodeAt(nameStart) | 0x20) === 0x69 && (html.charCodeAt(nameStart + 1) | 0x20) === 0x64;
    if (isFirstId) seenId = true;
    // After attribute name state.
    while (i < n && isSpace(html.charCodeAt(i))) i++;
    if (i >= n) break;
    if (html.charCodeAt(i) !== Char.Equals) continue;
    // Before attribute value state.
    i++;
    while (i < n && isSpace(html.charCodeAt(i))) i++;
    if (i >= n) break;
    c = html.charCodeAt(i);
    let value: string;
    if (c === Char.DoubleQuote || c === Char.SingleQuote) {
      const close = html.indexOf(c === Char.DoubleQuote ? '"' : "'", i + 1);
      if (close === -1) break;
      value = isFirstId ? html.slice(i + 1, close) : "";
      i = close + 1;
    } else if (c === Char.GreaterThan) {
      // `id=>`: a missing value, the tag ends here.
      value = "";
    } else {
      const valueStart = i;
      while (i < n) {
        c = html.charCodeAt(i);
        if (isSpace(c) || c === Char.GreaterThan) break;
        i++;
      }
      value = isFirstId ? html.slice(valueStart, i) : "";
    }
    if (isFirstId) hasDataId = isDataId(value);
  }
  return { name, end: -1, hasDataId };
}

/**
 * Whether an attribute value, with its character references decoded as in an attribute,
 * is `document-data`. No named reference decodes to a character of `document-data` (the
 * only ASCII ones give `& < > " '` and punctuation), and one left undecoded keeps its `&`,
 * so only numeric references (`&#45;`, `&#x2D`) can be part of a match.
 */
function isDataId(value: string): boolean {
  if (!value.includes("&")) return value === DATA_ID;
  let decoded = "";
  let i = 0;
  while (i < value.length) {
    const amp = value.indexOf("&", i);
    if (amp === -1) {
      decoded += value.slice(i);
      break;
    }
    decoded += value.slice(i, amp);
    if (decoded.length > DATA_ID.length || value.charCodeAt(amp + 1) !== Char.Hash) return false;
    let j = amp + 2;
    const hex = (value.charCodeAt(j) | 0x20) === 0x78;
    if (hex) j++;
    const digitsStart = j;
    let code = 0;
    for (; j < value.length; j++) {
      const d = value.charCodeAt(j);
      const digit = d >= 0x30 && d <= 0x39 ? d - 0x30 : hex && (d | 0x20) >= 0x61 && (d | 0x20) <= 0x66 ? (d | 0x20) - 0x57 : -1;
      if (digit < 0) break;
      // Past U+10FFFF the reference decodes to U+FFFD; stop growing the number there.
      code = Math.min(code * (hex ? 16 : 10) + digit, 0x110000);
    }
    // `&#` without digits stays as written, `&` and all.
    if (j === digitsStart) return false;
    if (value.charCodeAt(j) === Char.Semicolon) j++;
    // Only printable ASCII can spell the id; anything else (including U+FFFD) is a mismatch.
    if (code < 0x21 || code > 0x7e) return false;
    decoded += String.fromCharCode(code);
    i = j;
  }
  return decoded === DATA_ID;
}

/** Where script data ends: the `<` of its end tag (`textEnd`) and where the page goes on (`resume`, -1 at EOF). */
interface ScriptEnd {
  textEnd: number;
  resume: number;
}

/**
 * Reads script data from `at` to its `</script` end tag, through the escaped states that
 * `<!--` opens: inside them, `<script` starts a double-escaped stretch in which `</script>`
 * does not end the element, until `</script` or `-->`.
 */
function readScriptData(html: string, at: number): ScriptEnd {
  const n = html.length;
  let i = at;
  for (;;) {
    SCRIPT_DATA_EVENT.lastIndex = i;
    const m = SCRIPT_DATA_EVENT.exec(html);
    if (m === null) return { textEnd: n, resume: -1 };
    if (html.charCodeAt(m.index + 1) === Char.Slash) return endTagAt(html, m.index);
    // Script data escaped dash dash state, right after `<!--`.
    i = m.index + 4;
    let doubleEscaped = false;
    let dashes = 2;
    let backToData = false;
    while (i < n && !backToData) {
      const c = html.charCodeAt(i);
      if (c === Char.Dash) {
        dashes++;
        i++;
      } else if (c === Char.GreaterThan && dashes >= 2) {
        backToData = true;
        i++;
      } else if (c === Char.LessThan) {
        dashes = 0;
        const next = html.charCodeAt(i + 1);
        if (next === Char.Slash) {
          if (isScriptNameAt(html, i + 2)) {
            if (!doubleEscaped) return endTagAt(html, i);
            doubleEscaped = false;
            i += 8;
          } else {
            i += 2;
          }
        } else if (!doubleEscaped && isAsciiAlpha(next) && isScriptNameAt(html, i + 1)) {
          doubleEscaped = true;
          i += 7;
        } else {
          i++;
        }
      } else {
        dashes = 0;
        i++;
      }
    }
    if (!backToData) return { textEnd: n, resume: -1 };
  }
}

/** An end tag of a text element at `lt` (its `<`): it runs through its attributes to `>`. */
function endTagAt(html: string, lt: number): ScriptEnd {
  return { textEnd: lt, resume: readTag(html, lt + 2).end };
}

/** The element's text as the tree builder stores it: CRLF and CR become LF, NUL becomes U+FFFD. */
function normalizeText(text: string): string {
  if (!text.includes("\r") && !text.includes("\0")) return text;
  return text.replace(/\r\n?/g, "\n").replaceAll("\0", "\uFFFD");
}

/**
 * The text of the first `<script>` element whose `id` is `document-data`, or undefined when
 * the page has none. An element the page never closes holds the rest of the page.
 */
export function findDataScriptText(html: string): string | undefined {
  const n = html.length;
  let templateDepth = 0;
  let i = 0;
  while (i < n) {
    const lt = html.indexOf("<", i);
    if (lt === -1 || lt + 1 >= n) return undefined;
    const c = html.charCodeAt(lt + 1);
    if (c === Char.Exclamation) {
      if (html.startsWith("--", lt + 2)) {
        const body = lt + 4;
        // `<!-->` and `<!--->` are complete, empty comments.
        if (html.charCodeAt(body) === Char.GreaterThan) i = body + 1;
        else if (html.startsWith("->", body)) i = body + 2;
        else {
          COMMENT_END.lastIndex = body;
          const m = COMMENT_END.exec(html);
          if (m === null) return undefined;
          i = COMMENT_END.lastIndex;
        }
      } else {
        // DOCTYPE, CDATA outside foreign content and other `<!` markup end at the first `>`.
        const gt = html.indexOf(">", lt + 2);
        if (gt === -1) return undefined;
        i = gt + 1;
      }
    } else if (c === Char.Slash) {
      const next = html.charCodeAt(lt + 2);
      if (isAsciiAlpha(next)) {
        const tag = readTag(html, lt + 2);
        if (tag.end === -1) return undefined;
        if (tag.name === "template" && templateDepth > 0) templateDepth--;
        i = tag.end;
      } else if (next === Char.GreaterThan) {
        i = lt + 3;
      } else {
        // `</` followed by anything else opens a bogus comment.
        const gt = html.indexOf(">", lt + 2);
        if (gt === -1) return undefined;
        i = gt + 1;
      }
    } else if (c === Char.Question) {
      const gt = html.indexOf(">", lt + 2);
      if (gt === -1) return undefined;
      i = gt + 1;
    } else if (isAsciiAlpha(c)) {
      const tag = readTag(html, lt + 1);
      if (tag.end === -1) return undefined;
      i = tag.end;
      if (tag.name === "script") {
        const end = readScriptData(html, i);
        if (templateDepth === 0 && tag.hasDataId) return normalizeText(html.slice(i, end.textEnd));
        if (end.resume === -1) return undefined;
        i = end.resume;
      } else if (tag.name === "template") {
        templateDepth++;
      } else if (tag.name === "plaintext") {
        // Everything after `<plaintext>` is text.
        return undefined;
      } else {
        const rawEnd = RAW_TEXT_END.get(tag.name);
        if (rawEnd !== undefined) {
          rawEnd.lastIndex = i;
          const m = rawEnd.exec(html);
          if (m === null) return undefined;
          const resume = readTag(html, m.index + 2).end;
          if (resume === -1) return undefined;
          i = resume;
        }
      }
    } else {
      i = lt + 1;
    }
  }
  return undefined;
}
