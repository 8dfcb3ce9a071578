import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// No Docker engine runs here, so the Dockerfile cannot be built in a test.
// Instead this reads it against the repository: every path it copies from
// the build context exists and is not excluded by .dockerignore, npm gets
// every workspace's manifest (or `npm ci` refuses the lockfile), and the
// runtime image holds what `porter` loads when it runs.

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const file = (path: string) => readFileSync(`${ROOT}${path}`, "utf8");

interface Instruction {
  stage: string;
  op: string;
  args: string[];
}

/** The Dockerfile's instructions, continuation lines joined, comments dropped, each tagged with its stage. */
function parseDockerfile(text: string): Instruction[] {
  const lines = text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  let stage = "";
  return lines.map((line) => {
    const [op = "", ...args] = line.split(/\s+/);
    if (op.toUpperCase() === "FROM") stage = args[2] ?? args[0] ?? "";
    return { stage, op: op.toUpperCase(), args };
  });
}

/** The workspace folders package.json declares (`apps/*` expanded). */
function workspaces(): string[] {
  const globs = (JSON.parse(file("package.json")) as { workspaces: string[] }).workspaces;
  return globs
    .flatMap((glob) => {
      if (!glob.endsWith("/*")) return [glob];
      const parent = glob.slice(0, -2);
      return readdirSync(`${ROOT}${parent}`, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => `${parent}/${d.name}`);
    })
    .filter((dir) => existsSync(`${ROOT}${dir}/package.json`))
    .sort();
}

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
}

/** The workspaces `porter` loads at run time: @porter/cli and its @porter dependencies, transitively. */
function runtimeWorkspaces(): string[] {
  const byName = new Map(workspaces().map((dir) => [(JSON.parse(file(`${dir}/package.json`)) as Manifest).name, dir]));
  const needed = new Set<string>();
  const visit = (name: string) => {
    const dir = byName.get(name);
    if (dir === undefined || needed.has(dir)) return;
    needed.add(dir);
    const manifest = JSON.parse(file(`${dir}/package.json`)) as Manifest;
    for (const dep of Object.keys(manifest.dependencies ?? {})) visit(dep);
  };
  visit("@porter/cli");
  return [...needed].sort();
}

/** .dockerignore patterns as regular expressions over context-relative paths. */
function ignored(): RegExp[] {
  return file(".dockerignore")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((pattern) => {
      const source = pattern
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*\*\//g, "\0")
        .replace(/\*/g, "[^/]*")
        .replace(/\0/g, "(?:.*/)?");
      // A pattern matches the path itself or any folder above it.
      return new RegExp(`^${source}(?:/.*)?$`);
    });
}

const instructions = parseDockerfile(file("Dockerfile"));
const copies = instructions.filter((i) => i.op === "COPY");
const fromContext = copies.filter((i) => !i.args.some((a) => a.startsWith("--from=")));
const sourcesOf = (i: Instruction) => i.args.filter((a) => !a.startsWith("--")).slice(0, -1);
const runtime = instructions.filter((i) => i.stage === "runtime");

describe("Dockerfile", () => {
  it("copies from the build context only paths that exist and .dockerignore lets through", () => {
    const patterns = ignored();
    const sources = fromContext.flatMap(sourcesOf).filter((s) => s !== ".");
    expect(sources.length).toBeGreaterThan(0);
    expect(sources.filter((s) => !existsSync(`${ROOT}${s}`))).toEqual([]);
    expect(sources.filter((s) => patterns.some((p) => p.test(s.replace(/\/$/, ""))))).toEqual([]);
  });

  it("gives npm every workspace's package.json and the lockfile before installing", () => {
    const manifests = new Set(copies.filter((i) => i.stage === "manifests").flatMap(sourcesOf));
    expect(manifests.has("package-lock.json")).toBe(true);
    expect(workspaces().filter((dir) => !manifests.has(`${dir}/package.json`))).toEqual([]);
    // Both installing stages start from the manifests stage.
    const froms = instructions.filter((i) => i.op === "FROM").map((i) => [i.args[0], i.args[2]]);
    expect(froms).toEqual(expect.arrayContaining([["manifests", "build"], ["manifests", "runtime"]]));
  });

  it("builds with dev dependencies and runs with production ones only, as a non-root user on a Node LTS slim image", () => {
    const runs = (stage: string) => instructions.filter((i) => i.stage === stage && i.op === "RUN").map((i) => i.args.join(" "));
    expect(runs("build").join("\n")).toMatch(/npm ci(?! [^\n]*--omit=dev)/);
    expect(runs("build").join("\n")).toContain("turbo run build");
    expect(runs("runtime").join("\n")).toMatch(/npm ci [^\n]*--omit=dev/);
    const image = /^ARG NODE_IMAGE=(\S+)$/m.exec(file("Dockerfile"))?.[1];
    expect(image).toMatch(/^node:(20|22|24)-slim$/);
    const user = runtime.filter((i) => i.op === "USER").at(-1)?.args[0];
    expect(user).toBeDefined();
    expect(["root", "0"]).not.toContain(user);
  });

  it("puts into the runtime image what porter loads: every dist it imports, its bin, the migrations", () => {
    const runtimeCopies = runtime.filter((i) => i.op === "COPY");
    const fromBuild = runtimeCopies.filter((i) => i.args.includes("--from=build")).flatMap(sourcesOf);
    const needed = runtimeWorkspaces();
    expect(needed).toEqual(expect.arrayContaining(["apps/cli", "apps/worker", "packages/db"]));
    expect(needed.filter((dir) => !fromBuild.includes(`/app/${dir}/dist`))).toEqual([]);
    const fromContextHere = runtimeCopies.filter((i) => !i.args.some((a) => a.startsWith("--from="))).flatMap(sourcesOf);
    expect(fromContextHere).toEqual(expect.arrayContaining(["apps/cli/bin", "packages/db/drizzle"]));
    // migrate.ts reads the SQL from ../drizzle next to its dist folder.
    expect(file("packages/db/src/migrate.ts")).toContain('new URL("../drizzle", import.meta.url)');
    expect(existsSync(`${ROOT}packages/db/drizzle/meta/_journal.json`)).toBe(true);
    // The entry point is the porter bin, which loads the CLI's dist.
    const entry = instructions.find((i) => i.op === "ENTRYPOINT")?.args.join(" ");
    expect(entry).toBe('["node", "/app/apps/cli/bin/porter.js"]');
    expect(file("apps/cli/bin/porter.js")).toContain('import "../dist/main.js"');
  });

  it("keeps dependencies and build output of this machine out of the context", () => {
    const patterns = ignored();
    for (const path of ["node_modules", "apps/cli/node_modules", "packages/db/dist", ".git", "apps/worker/test/x.test.ts"]) {
      expect(patterns.some((p) => p.test(path)), path).toBe(true);
    }
  });
});
