/**
 * JSON text made safe inside a `<script>` element: `</` is written `<\/`, as the contract says,
 * and `<!--` as `<\u0021--`. Both occur only inside JSON strings, where the escapes read back the
 * same. An HTML5 parser reads `<!--` in script data as the start of an escaped section, after
 * which a `<script` in the text makes the element's own `</script>` mere text.
 */
export function scriptSafe(json: string): string {
  return json.replaceAll("</", "<\\/").replaceAll("<!--", "<\\u0021--");
}
