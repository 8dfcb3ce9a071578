import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";

/**
 * Form tokens against cross-site forgery: every POST of Porter's pages
 * carries an HMAC of its action under a secret made at start-up, which other
 * sites cannot read. The Origin of every state-changing request is checked
 * before this, in originGuard.
 */
export class Csrf {
  private readonly secret = randomBytes(32);

  token(action: string): string {
    return createHmac("sha256", this.secret).update(action).digest("base64url");
  }

  /** Fastify preHandler for POST routes; the form field is `csrf`. */
  check = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const given = typeof body.csrf === "string" ? Buffer.from(body.csrf) : Buffer.alloc(0);
    const expected = Buffer.from(this.token(request.url.split("?")[0] as string));
    const tokenOk = given.length === expected.length && timingSafeEqual(given, expected);
    if (!tokenOk) await reply.code(403).type("text/plain").send("cross-site request refused: no valid form token\n");
  };
}
