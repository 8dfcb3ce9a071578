import type { FastifyReply, FastifyRequest } from "fastify";

/** The names and origins a browser may reach the dashboard by. */
export interface KnownNames {
  /** Accepted `Host` header values, lower case: the loopback names on the port, then DASHBOARD_ORIGIN's host. */
  hosts: string[];
  /** Accepted `Origin` values of state-changing requests, as `URL.origin` gives them. */
  origins: string[];
}

const LOOPBACK = ["127.0.0.1", "localhost", "[::1]"];

/**
 * What the dashboard answers to when it listens on `port` (the bound one,
 * not PORT, which may be 0) and, if set, is published at `published`
 * (DASHBOARD_ORIGIN, already a normalised origin). Only names the operator
 * chose: a page on another site whose name was re-pointed at this machine
 * (DNS rebinding) sends its own name in Host and Origin, and is refused.
 */
export function knownNames(port: number, published: string | undefined): KnownNames {
  const hosts: string[] = [];
  const origins: string[] = [];
  for (const name of LOOPBACK) {
    const url = new URL(`http://${name}:${port}`);
    hosts.push(`${name}:${port}`);
    // On port 80 a browser leaves the port out of Host and Origin.
    if (url.port === "") hosts.push(name);
    origins.push(url.origin);
  }
  if (published !== undefined) {
    const url = new URL(published);
    hosts.push(url.host);
    // Some clients name the default port anyway (`porter.example.com:443`).
    if (url.port === "") hosts.push(`${url.hostname}:${url.protocol === "https:" ? 443 : 80}`);
    origins.push(url.origin);
  }
  return { hosts, origins };
}

/** The origin a request says it comes from (Origin, else Referer), or undefined when it names none that parses. */
function requestOrigin(request: FastifyRequest): string | undefined {
  const claimed = request.headers.origin ?? request.headers.referer;
  if (claimed === undefined) return undefined;
  try {
    const origin = new URL(claimed).origin;
    return origin === "null" ? undefined : origin;
  } catch {
    return undefined;
  }
}

/**
 * onRequest guards, in the order they must run. `names` is read per request
 * because the port is known only once the server listens.
 */
export function hostGuard(names: () => KnownNames) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const host = (request.headers.host ?? "").toLowerCase();
    if (names().hosts.includes(host)) return;
    // 421: this server is not the one the name was meant for. Before auth,
    // so a rebinding page learns nothing, not even whether a password is set.
    await reply
      .code(421)
      .type("text/plain")
      .send(
        `host ${JSON.stringify(request.headers.host ?? "")} is not a name of this dashboard: ` +
          "open it by a loopback name on its port, or set DASHBOARD_ORIGIN to the URL it is published at\n",
      );
  };
}

/**
 * Every request that may change something (anything but GET and HEAD,
 * Bull Board's PUTs included) must say it comes from one of the dashboard's
 * own origins: compared with the known origins, never with the request's
 * own Host, which the sender chooses.
 */
export function originGuard(names: () => KnownNames) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (request.method === "GET" || request.method === "HEAD") return;
    const origin = requestOrigin(request);
    if (origin !== undefined && names().origins.includes(origin)) return;
    await reply.code(403).type("text/plain").send("cross-site request refused: its Origin is not this dashboard\n");
  };
}
