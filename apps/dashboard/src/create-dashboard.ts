import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { FastifyAdapter } from "@bull-board/fastify";
import formbody from "@fastify/formbody";
import Fastify, { type FastifyInstance } from "fastify";
import type pg from "pg";
import type { Config } from "@porter/config";
import { countFailuresByKind, documentHistory, getRun, listFailures, listRuns, runThroughput, searchLegacyIds } from "@porter/db";
import type { Logger } from "@porter/logger";
import type { ImportQueue } from "@porter/queue";
import { preflight, ServiceUnavailable, type Connections, type RunOperations } from "@porter/runs";
import { basicAuth } from "./auth.js";
import { Csrf } from "./csrf.js";
import { html } from "./html.js";
import { hostGuard, knownNames, originGuard, type KnownNames } from "./known-names.js";
import { documentPage, searchForm } from "./pages/document-page.js";
import { layout } from "./pages/layout.js";
import { runPage, runSummary } from "./pages/run-page.js";
import { runsPage, runsRows, type RunView } from "./pages/runs-page.js";

export interface DashboardDeps {
  config: Config;
  logger: Logger;
  pool: pg.Pool;
  queue: ImportQueue;
  /** Progress, requeue and rollback, with the same policies as the CLI's. */
  runs: RunOperations;
  /** What /readyz checks (Postgres and Redis); unset: /readyz checks nothing. */
  connections?: Connections;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Documents a prefix search shows at most. */
const SEARCH_LIMIT = 20;
/** Failures shown per kind on a run's page; the CLI lists them all. */
const FAILURES_PER_KIND = 50;

/**
 * The dashboard: Bull Board at /queues, Porter's runs at /, a run's failures
 * and its actions (requeue, roll back) at /runs/:id. Every route, /healthz, /readyz
 * and Bull Board's included, answers only to a known Host (see knownNames);
 * then basic auth on every route but /healthz and /readyz when a password is set; every
 * state-changing request must come from one of the dashboard's own origins.
 */
export async function createDashboard(deps: DashboardDeps): Promise<FastifyInstance> {
  const { config, pool, queue, runs } = deps;
  const app = Fastify({ logger: false });
  const csrf = new Csrf();
  await app.register(formbody);

  // The bound port is known once the server listens (PORT may be 0); until then no name matches.
  let names: KnownNames | undefined;
  const known = (): KnownNames => {
    if (names) return names;
    const address = app.server.address();
    if (address === null || typeof address === "string") return { hosts: [], origins: [] };
    return (names = knownNames(address.port, config.dashboardOrigin));
  };
  const checkHost = hostGuard(known);
  const checkOrigin = originGuard(known);
  const auth = config.dashboardPassword === undefined ? undefined : basicAuth(config.dashboardUser, config.dashboardPassword);
  app.addHook("onRequest", async (request, reply) => {
    await checkHost(request, reply);
    if (reply.sent || request.url === "/healthz" || request.url === "/readyz") return;
    if (auth) await auth(request, reply);
    if (reply.sent) return;
    // Bull Board's own actions are XHRs without our form token: the Origin rule holds for them too.
    await checkOrigin(request, reply);
  });

  // Bull Board's page asks Google for its web fonts: nothing the dashboard serves may send the
  // browser off this machine, so the link goes (the browser's own fonts stand in).
  app.addHook("onSend", async (request, reply, payload) => {
    if (typeof payload !== "string" || !request.url.startsWith("/queues")) return payload;
    const type = reply.getHeader("content-type");
    if (typeof type !== "string" || !type.startsWith("text/html")) return payload;
    return payload.replace(/<link[^>]*href="https:\/\/fonts\.(?:googleapis|gstatic)\.com[^"]*"[^>]*>/g, "");
  });

  const board = new FastifyAdapter();
  // showMetrics: each queue's page charts the jobs completed and failed per minute, which
  // the workers collect (create-worker.ts). A chunk is one job, a retry another.
  createBullBoard({ queues: [new BullMQAdapter(queue)], serverAdapter: board, options: { uiConfig: { showMetrics: true } } });
  board.setBasePath("/queues");
  await app.register(board.registerPlugin(), { prefix: "/queues" });

  // The same shapes as the worker's: liveness, and readiness naming what is missing.
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    if (deps.connections === undefined) return { status: "ready" };
    try {
      await preflight(config, deps.connections, ["postgres", "redis"]);
      return { status: "ready" };
    } catch (err) {
      if (!(err instanceof ServiceUnavailable)) throw err;
      return reply.code(503).send({ status: "unready", services: err.services, problems: err.message.split("\n") });
    }
  });

  async function views(): Promise<RunView[]> {
    const recent = await listRuns(pool, 50);
    return Promise.all(recent.map(async (run) => ({ run, progress: await runs.progress(run.id) })));
  }

  app.get("/api/runs", async () => (await views()).map((v) => ({ ...v.progress, startedAt: v.run.startedAt, finishedAt: v.run.finishedAt })));

  app.get<{ Querystring: { fragment?: string } }>("/", async (request, reply) => {
    const all = await views();
    const body = request.query.fragment === "live" ? runsRows(all) : runsPage(all);
    return reply.type("text/html; charset=utf-8").send(body.value);
  });

  app.get<{ Params: { id: string }; Querystring: { fragment?: string; flash?: string } }>("/runs/:id", async (request, reply) => {
    const { id } = request.params;
    const run = UUID.test(id) ? await getRun(pool, id) : undefined;
    if (!run) return reply.code(404).type("text/plain").send(`no run ${id}\n`);
    const progress = await runs.progress(id);
    if (request.query.fragment === "live") return reply.type("text/html; charset=utf-8").send(runSummary(progress, run).value);
    const kinds = await countFailuresByKind(pool, id);
    const failures = await Promise.all(
      kinds.map(async ({ kind, count }) => ({ kind, count, rows: await listFailures(pool, id, { kind, limit: FAILURES_PER_KIND }) })),
    );
    const throughput = await runThroughput(pool, id);
    const page = runPage({ run, progress, failures, throughput, flash: request.query.flash, csrf: (a) => csrf.token(a) });
    return reply.type("text/html; charset=utf-8").send(page.value);
  });

  app.get<{ Querystring: { id?: string; prefix?: string } }>("/documents", async (request, reply) => {
    const query = request.query.id ?? "";
    const prefix = request.query.prefix === "1";
    if (query === "") {
      return reply.type("text/html; charset=utf-8").send(layout("Find a document", html`<h1>Find a document</h1>${searchForm()}
        <p class="muted">An exact legacy id shows its ledger row in every run that listed it and the target row it became; a prefix, each document of the target whose id starts so.</p>`).value);
    }
    const ids = await searchLegacyIds(pool, query, { prefix, limit: SEARCH_LIMIT });
    const histories = await Promise.all(ids.map((id) => documentHistory(pool, id)));
    return reply.type("text/html; charset=utf-8").send(documentPage({ query, prefix, histories, limit: SEARCH_LIMIT }).value);
  });

  const back = (id: string, message: string) => `/runs/${id}?flash=${encodeURIComponent(message)}`;

  app.post<{ Params: { id: string }; Body: { kind?: string } }>(
    "/runs/:id/requeue",
    { preHandler: csrf.check },
    async (request, reply) => {
      const { id } = request.params;
      if (!UUID.test(id) || !(await getRun(pool, id))) return reply.code(404).type("text/plain").send(`no run ${id}\n`);
      const kind = request.body?.kind || undefined;
      const result = await runs.requeue(id, kind);
      deps.logger.info({ runId: id, kind, requeued: result.requeued }, "requeued from the dashboard");
      return reply.redirect(back(id, `Requeued ${result.requeued} failed document(s)${kind ? ` of kind ${kind}` : ""}.`), 303);
    },
  );

  app.post<{ Params: { id: string }; Body: { confirm?: string } }>(
    "/runs/:id/rollback",
    { preHandler: csrf.check },
    async (request, reply) => {
      const { id } = request.params;
      if (!UUID.test(id) || !(await getRun(pool, id))) return reply.code(404).type("text/plain").send(`no run ${id}\n`);
      if (request.body?.confirm !== "yes") return reply.code(400).type("text/plain").send("rollback needs confirm=yes\n");
      const result = await runs.rollback(id);
      deps.logger.info({ runId: id, documents: result.documents }, "rolled back from the dashboard");
      return reply.redirect(back(id, `Rolled back: ${result.documents} document(s) deleted, ${result.ledgerRows} ledger row(s) marked.`), 303);
    },
  );

  return app;
}
