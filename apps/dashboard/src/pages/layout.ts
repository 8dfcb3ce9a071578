import { html, raw, type Html } from "../html.js";

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:10px 24px;display:flex;gap:24px;align-items:center}
header a{color:#cfd8ea;text-decoration:none}header strong{font-size:16px}
main{padding:20px 24px;max-width:1200px}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{padding:6px 8px;border-bottom:1px solid #e3e6ec;text-align:left;vertical-align:top}
th{font-weight:600;color:#4a5468;font-size:12px;text-transform:uppercase}
.bar{display:flex;height:14px;width:220px;background:#e3e6ec;border-radius:3px;overflow:hidden}
.bar.wide{width:100%;height:22px}
.bar span{display:block;height:100%}.ok{background:#2f9e44}.same{background:#8ce99a}.tag{font-size:.8em;padding:0 .3em;border-radius:3px;background:#e7f5ff;color:#1864ab}.bad{background:#e03131}.back{background:#868e96}
.status{padding:1px 6px;border-radius:3px;font-size:12px;background:#e3e6ec}
.status.completed{background:#d3f9d8}.status.running,.status.listing{background:#d0ebff}.status.rolled_back,.status.cancelled{background:#eee}
.flash{background:#fff3bf;padding:8px 12px;margin-bottom:16px;border-radius:3px}
.kind{margin:18px 0 6px}pre{white-space:pre-wrap;font-size:12px;background:#f1f3f5;padding:8px;margin:4px 0}
form.inline{display:inline}button{cursor:pointer;padding:4px 10px}
button.danger{background:#e03131;color:#fff;border:0;border-radius:3px}
.muted{color:#6b7385}.nums{font-variant-numeric:tabular-nums}
form.search{margin:0 0 16px}form.search input[name=id]{width:28em;padding:4px}section.document{margin:0 0 24px}
`;

/** Refreshes the element with id `live` from `?fragment=live` every 2 s, while the page is open. */
const LIVE = `
setInterval(async () => {
  const el = document.getElementById("live");
  if (!el) return;
  const url = new URL(location.href); url.searchParams.set("fragment", "live");
  const res = await fetch(url, { credentials: "same-origin" });
  if (res.ok) el.innerHTML = await res.text();
}, 2000);`;

/**
 * A form with data-confirm asks first; accepted, it gets confirm=yes and
 * goes; dismissed, nothing is sent. One listener on the document, no inline
 * handler: in an inline handler, and in a form's own properties, a field
 * named like a global (`confirm`) or a method shadows it, hence window.confirm
 * and the prototype's methods.
 */
const CONFIRM = `
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const question = Element.prototype.getAttribute.call(form, "data-confirm");
  if (question === null) return;
  if (!window.confirm(question)) {
    event.preventDefault();
    return;
  }
  // A page restored from the back/forward cache may hold the field already.
  Element.prototype.querySelector.call(form, 'input[name="confirm"]')?.remove();
  const field = document.createElement("input");
  field.type = "hidden";
  field.name = "confirm";
  field.value = "yes";
  Element.prototype.append.call(form, field);
});`;

export function layout(title: string, body: Html): Html {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title} · Porter</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" type="image/png" href="/queues/static/favicon-32x32.png">
<style>${raw(STYLE)}</style></head>
<body><header><strong>Porter</strong><a href="/">Runs</a><a href="/documents">Find a document</a><a href="/queues">Queue (Bull Board)</a></header>
<main>${body}</main><script>${raw(LIVE)}${raw(CONFIRM)}</script></body></html>`;
}
