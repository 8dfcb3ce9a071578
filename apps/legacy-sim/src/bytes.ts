/** UTF-8 bytes of strings and buffers laid end to end, written once into one buffer. */
export function joinBytes(parts: readonly (string | Buffer)[]): Buffer {
  let length = 0;
  for (const p of parts) length += typeof p === "string" ? Buffer.byteLength(p) : p.length;
  const out = Buffer.allocUnsafe(length);
  let offset = 0;
  for (const p of parts) offset += typeof p === "string" ? out.write(p, offset) : p.copy(out, offset);
  return out;
}
