import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";

/**
 * Protection of state-changing requests against cross-site forgery: every
 * POST must come from this dashboard's own pages — its Origin (or Referer)
 * is this host, and it carries the form token, an HMAC of the action under a
 * secret made at start-up that other sites cannot read.
 */
export class Csrf {
  private readonly secret = randomBytes(32);

  token(action: string): string {
    return createHmac("sha256", this.secret).update(action).digest("base64url");
  }

  /** Fastify preHandler for POST routes; the form field is `csrf`. */
  check = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const host = request.headers.host;
    const origin = request.headers.origin ?? request.headers.referer;
    let sameOrigin = false;
    try {
      sameOrigin = origin !== undefined && host !== undefined && new URL(origin).host === host;
    } catch {
      sameOrigin = false;
    }
    const body = (request.body ?? {}) as Record<string, unknown>;
    const given = typeof body.csrf === "string" ? Buffer.from(body.csrf) : Buffer.alloc(0);
    const expected = Buffer.from(this.token(request.url.split("?")[0] as string));
    const tokenOk = given.length === expected.length && timingSafeEqual(given, expected);
    if (!sameOrigin || !tokenOk) {
      await reply.code(403).type("text/plain").send("cross-site request refused\n");
    }
  };
}
