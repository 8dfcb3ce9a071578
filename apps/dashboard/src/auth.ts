import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";

const digest = (s: string) => createHash("sha256").update(s).digest();

/**
 * HTTP basic auth against DASHBOARD_USER / DASHBOARD_PASSWORD. Compares
 * digests in constant time, so neither the length nor the content of the
 * password leaks through timing.
 */
export function basicAuth(user: string, password: string) {
  const expected = digest(`${user}:${password}`);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization ?? "";
    const match = /^Basic\s+(\S+)$/i.exec(header);
    const given = match ? Buffer.from(match[1] as string, "base64").toString("utf8") : "";
    if (!match || !timingSafeEqual(digest(given), expected)) {
      await reply
        .code(401)
        .header("www-authenticate", 'Basic realm="porter", charset="UTF-8"')
        .type("text/plain")
        .send("authentication required\n");
    }
  };
}
