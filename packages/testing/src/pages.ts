/** JSON as the legacy service embeds it in a page: `</` becomes `<\/`, so no `</script>` ends the element early. */
export function embedJson(value: unknown): string {
  return JSON.stringify(value).replaceAll("</", "<\\/");
}

/** A minimal legacy page holding `value` in its `document-data` element; the tags can be varied. */
export function documentPage(value: unknown, openTag = '<script id="document-data" type="application/json">', close = "</script>"): string {
  return `<!doctype html><html><head><title>t</title></head><body>${openTag}${embedJson(value)}${close}</body></html>`;
}
