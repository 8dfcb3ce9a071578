import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { envSchema, loadConfig } from "@porter/config";

// docker-compose.yml's wiring, checked against the code: every command a
// service runs is a real `porter` command with real flags, every variable a
// Porter service sets is one the config schema reads (with a value it
// accepts), services start in order, the worker can be scaled.
//
// No Docker engine runs here, but `docker compose config` (or the older
// `docker-compose config`) validates and normalises the file without one.
// Where neither client is installed, the validation is skipped and the
// wiring is checked on the file as YAML.

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const COMPOSE_FILE = `${ROOT}docker-compose.yml`;
const PORTER = `${ROOT}apps/cli/bin/porter.js`;

type Env = Record<string, string | number | null>;
interface Service {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Env | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  container_name?: string;
  ports?: unknown[];
  expose?: (string | number)[];
  healthcheck?: { test?: string[] | string; disable?: boolean };
  restart?: string;
  stop_grace_period?: string;
}
interface ComposeModel {
  services: Record<string, Service>;
}

/** Only what a shell gives compose, so `${VAR:-default}` resolves to its default whatever this process has set. */
const CLEAN_ENV = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp" };

interface ComposeCli {
  name: string;
  config(): Promise<ComposeModel>;
}

/** `docker compose` (v2, JSON output) or `docker-compose` (v1, YAML output), whichever is installed. */
async function findComposeCli(): Promise<ComposeCli | undefined> {
  const works = async (file: string, args: string[]) => {
    try {
      await run(file, args, { env: CLEAN_ENV });
      return true;
    } catch {
      return false;
    }
  };
  if (await works("docker", ["compose", "version"])) {
    return {
      name: "docker compose",
      async config() {
        const { stdout } = await run("docker", ["compose", "-f", COMPOSE_FILE, "config", "--format", "json"], { env: CLEAN_ENV });
        return JSON.parse(stdout) as ComposeModel;
      },
    };
  }
  if (await works("docker-compose", ["version"])) {
    return {
      name: "docker-compose (v1)",
      async config() {
        const { stdout } = await run("docker-compose", ["-f", COMPOSE_FILE, "config"], { env: CLEAN_ENV });
        return parseYaml(stdout) as ComposeModel;
      },
    };
  }
  return undefined;
}

/** The file as YAML with merge keys applied and `${VAR:-default}` replaced by its default, as compose would with no such variable. */
function readComposeFile(): ComposeModel {
  const text = readFileSync(COMPOSE_FILE, "utf8").replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g,
    (_, _name: string, fallback: string | undefined) => fallback ?? "",
  );
  return parseYaml(text, { merge: true }) as ComposeModel;
}

const cli = await findComposeCli();
const SKIP_REASON = "neither `docker compose` nor `docker-compose` is installed, so the file was not validated by compose";
const model = cli ? await cli.config() : readComposeFile();
const services = model.services;

function commandOf(service: Service): string[] {
  const command = service.command;
  if (command === undefined) return [];
  return typeof command === "string" ? command.split(/\s+/).filter(Boolean) : command.map(String);
}

function envOf(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  const entries = Array.isArray(env)
    ? env.map((line) => [line.split("=")[0] as string, line.slice(line.indexOf("=") + 1)])
    : Object.entries(env).map(([k, v]) => [k, v === null ? "" : String(v)]); // compose passes numbers as strings
  return Object.fromEntries(entries) as Record<string, string>;
}

function dependsOf(service: Service): Record<string, string | undefined> {
  const deps = service.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((name) => [name, undefined]));
  return Object.fromEntries(Object.entries(deps).map(([name, d]) => [name, d?.condition]));
}

/** A port mapping as compose v2 (an object) or v1 and the file (a string) give it. */
function portOf(port: unknown): { hostIp: string; published: string; target: string } {
  if (typeof port === "string") {
    const parts = port.replace(/\/(tcp|udp)$/, "").split(":");
    const [hostIp, published, target] = parts.length === 3 ? parts : ["", parts[0], parts[1] ?? parts[0]];
    return { hostIp: hostIp ?? "", published: published ?? "", target: target ?? "" };
  }
  const p = port as { host_ip?: string; published?: string | number; target?: string | number };
  return { hostIp: p.host_ip ?? "", published: String(p.published ?? ""), target: String(p.target ?? "") };
}

/** Services that run the Porter image: their command is a `porter` command line. */
const porterServices = Object.entries(services).filter(([, s]) => s.build !== undefined || s.image === "porter:local");

interface HelpCheck {
  ok: boolean;
  why: string;
}

/**
 * Asks the CLI itself whether `args` is a command line it knows: the help of
 * the command must name it (commander answers an unknown command with the
 * parent's help), and every `--flag` must be in that help.
 */
async function checkPorterCommand(args: string[]): Promise<HelpCheck> {
  const firstFlag = args.findIndex((a) => a.startsWith("-"));
  const words = firstFlag === -1 ? args : args.slice(0, firstFlag);
  if (words.length === 0) return { ok: false, why: "no command" };
  let help: string;
  try {
    ({ stdout: help } = await run(process.execPath, [PORTER, ...words, "--help"], { env: { ...process.env, LOG_LEVEL: "silent" } }));
  } catch (err) {
    return { ok: false, why: `porter ${words.join(" ")} --help failed: ${(err as Error).message}` };
  }
  const usage = /^Usage: porter((?: [a-z][\w-]*)*)(.*)$/m.exec(help);
  if (!usage) return { ok: false, why: `no usage line in the help of porter ${words.join(" ")}` };
  const known = (usage[1] ?? "").trim().split(" ").filter(Boolean);
  const placeholders = (usage[2] ?? "").match(/[[<][^\]>]+[\]>]/g) ?? [];
  const takesArguments = placeholders.some((p) => p !== "[options]" && p !== "[command]");
  if (known.length === 0 || known.join(" ") !== words.slice(0, known.length).join(" ")) {
    return { ok: false, why: `porter has no command "${words.join(" ")}"` };
  }
  if (known.length < words.length && !takesArguments) {
    return { ok: false, why: `porter ${known.join(" ")} has no command "${words[known.length]}"` };
  }
  for (const flag of args.filter((a) => a.startsWith("--"))) {
    const name = flag.split("=")[0] as string;
    if (!new RegExp(`(^|[\\s,])${name}(?![\\w-])`, "m").test(help)) {
      return { ok: false, why: `porter ${known.join(" ")} has no option ${name}` };
    }
  }
  return { ok: true, why: "" };
}

describe("docker-compose.yml", () => {
  it.skipIf(!cli)(`is accepted by ${cli?.name ?? "docker compose"} config${cli ? "" : ` (skipped: ${SKIP_REASON})`}`, async () => {
    // cli.config() above already ran it: a file compose rejects would have thrown before any test.
    expect(Object.keys(services).sort()).toEqual(Object.keys(readComposeFile().services).sort());
  });

  it("has the services of the topology", () => {
    expect(Object.keys(services)).toEqual(
      expect.arrayContaining(["redis", "postgres", "migrate", "legacy", "worker", "enqueuer", "dashboard"]),
    );
    expect(porterServices.map(([name]) => name).sort()).toEqual(["dashboard", "enqueuer", "legacy", "migrate", "worker"]);
  });

  it("runs only commands and flags the porter CLI has", async () => {
    // The checker itself: it must refuse what the CLI does not have.
    expect((await checkPorterCommand(["no-such-command"])).ok).toBe(false);
    expect((await checkPorterCommand(["db", "no-such-command"])).ok).toBe(false);
    expect((await checkPorterCommand(["run", "--no-such-flag"])).ok).toBe(false);
    expect((await checkPorterCommand(["run", "--follow"])).ok).toBe(true);

    const results = await Promise.all(
      porterServices.map(async ([name, service]) => ({ name, command: commandOf(service), ...(await checkPorterCommand(commandOf(service))) })),
    );
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(Object.fromEntries(results.map((r) => [r.name, r.command.slice(0, 2)]))).toMatchObject({
      migrate: ["db", "migrate"],
      legacy: ["legacy-sim", "--host"],
      worker: ["worker"],
      enqueuer: ["run", "--follow"],
      dashboard: ["dashboard"],
    });
  }, 60_000);

  it("sets only variables the config schema reads, with values it accepts", () => {
    const known = new Set(Object.keys(envSchema.shape));
    for (const [name, service] of porterServices) {
      const env = envOf(service);
      const unknown = Object.keys(env).filter((k) => !known.has(k));
      expect(unknown, `${name} sets variables @porter/config does not read`).toEqual([]);
      // Parses as the process would at start-up: a bad value throws, naming it.
      expect(() => loadConfig(env), name).not.toThrow();
    }
  });

  it("passes every setting from the shell (or .env) to the services, or sets it on purpose", () => {
    // Set by the compose file itself: its own Redis and Postgres (a shell's DATABASE_URL for
    // the CLI on the host would point the containers at themselves), the containers' ports,
    // and the worker's drain, which its stop_grace_period must outlast.
    const fixed = new Set(["REDIS_URL", "DATABASE_URL", "PORT", "METRICS_PORT", "SHUTDOWN_GRACE_MS"]);
    const raw = readFileSync(COMPOSE_FILE, "utf8");
    const passed = new Set([...raw.matchAll(/^\s+([A-Z_]+): \$\{\1:-[^}]*\}/gm)].map((m) => m[1] as string));
    const missing = Object.keys(envSchema.shape).filter((key) => !passed.has(key) && !fixed.has(key));
    expect(missing, "settings an operator cannot set through compose").toEqual([]);
    // Each one reaches the processes that read it (the enqueuer's and the worker's settings are the shared ones).
    const worker = envOf(services.worker as Service);
    const enqueuer = envOf(services.enqueuer as Service);
    for (const key of ["ARCHIVE", "ARCHIVE_DATABASE_URL", "MAX_INFLIGHT_BYTES", "MAX_PAGE_BYTES", "BACKOFF_BASE_MS", "STALLED_INTERVAL_MS", "RECONCILE_GRACE_MS"]) {
      expect(Object.keys(worker), `worker: ${key}`).toContain(key);
    }
    for (const key of ["STORE_OUTAGE_MS", "LIST_PAGE_SIZE", "LIST_TIMEOUT_MS", "LIST_IDLE_TIMEOUT_MS", "QUEUE_HIGH_WATER", "JOB_DOCUMENTS", "QUEUE_PREFIX"]) {
      expect(Object.keys(enqueuer), `enqueuer: ${key}`).toContain(key);
    }
  });

  it("points every Porter service at the redis, postgres and legacy services", () => {
    const pgEnv = envOf(services.postgres as Service);
    const legacyCommand = commandOf(services.legacy as Service);
    const legacyPort = legacyCommand[legacyCommand.indexOf("--port") + 1];
    expect(legacyCommand[legacyCommand.indexOf("--host") + 1]).toBe("0.0.0.0");
    for (const [name, service] of porterServices) {
      const config = loadConfig(envOf(service));
      const redis = new URL(config.redisUrl);
      expect(redis.hostname, name).toBe("redis");
      const db = new URL(config.databaseUrl);
      expect([db.hostname, db.username, db.password, db.pathname], name).toEqual([
        "postgres",
        pgEnv.POSTGRES_USER,
        pgEnv.POSTGRES_PASSWORD,
        `/${pgEnv.POSTGRES_DB}`,
      ]);
      const legacy = new URL(config.legacyUrl);
      expect([legacy.hostname, legacy.port], name).toEqual(["legacy", legacyPort]);
    }
  });

  it("runs Redis with AOF and noeviction", () => {
    const command = commandOf(services.redis as Service);
    expect(command[command.indexOf("--appendonly") + 1]).toBe("yes");
    expect(command[command.indexOf("--maxmemory-policy") + 1]).toBe("noeviction");
  });

  it("starts services in order, with conditions compose can wait for", () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [target, condition] of Object.entries(dependsOf(service))) {
        expect(services[target], `${name} depends on a service that does not exist: ${target}`).toBeDefined();
        expect(["service_healthy", "service_completed_successfully", "service_started"], `${name} → ${target}`).toContain(condition);
        if (condition === "service_healthy") {
          expect(services[target]?.healthcheck?.test, `${name} waits for ${target} to be healthy: it needs a healthcheck`).toBeDefined();
        }
        if (condition === "service_completed_successfully") {
          // A one-shot that restarted would never "complete".
          expect([undefined, "no"], `${target} is waited for to complete`).toContain(services[target]?.restart);
        }
      }
    }
    expect(dependsOf(services.migrate as Service)).toMatchObject({ postgres: "service_healthy" });
    expect(dependsOf(services.worker as Service)).toMatchObject({
      redis: "service_healthy",
      postgres: "service_healthy",
      migrate: "service_completed_successfully",
    });
    expect(dependsOf(services.enqueuer as Service)).toMatchObject({
      redis: "service_healthy",
      postgres: "service_healthy",
      migrate: "service_completed_successfully",
      legacy: "service_healthy",
    });
  });

  it("lets the worker scale and drain: no fixed name or host port, a stop grace longer than SHUTDOWN_GRACE_MS", () => {
    const worker = services.worker as Service;
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports ?? []).toEqual([]);
    const config = loadConfig(envOf(worker));
    const grace = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(worker.stop_grace_period ?? "");
    expect(grace, "stop_grace_period like 45s or 1m30s").not.toBeNull();
    const graceMs = (Number(grace?.[1] ?? 0) * 60 + Number(grace?.[2] ?? 0)) * 1000;
    expect(graceMs).toBeGreaterThan(config.shutdownGraceMs);
    // Prometheus reaches /metrics on the compose network; the healthcheck asks the same port.
    expect((worker.expose ?? []).map(String)).toContain(String(config.metricsPort));
    expect(JSON.stringify(worker.healthcheck?.test)).toContain(`127.0.0.1:${config.metricsPort}/healthz`);
  });

  it("publishes the dashboard on its PORT, to this machine only, with a password so it listens beyond its container", () => {
    const dashboard = services.dashboard as Service;
    const config = loadConfig(envOf(dashboard));
    // Without DASHBOARD_PASSWORD `porter dashboard` listens on 127.0.0.1 inside the container: unreachable.
    expect(config.dashboardPassword).toBeDefined();
    expect((dashboard.ports ?? []).map(portOf)).toEqual([{ hostIp: "127.0.0.1", published: "3000", target: String(config.port) }]);
    expect(dependsOf(dashboard)).toMatchObject({ redis: "service_healthy", postgres: "service_healthy", migrate: "service_completed_successfully" });
  });
});
