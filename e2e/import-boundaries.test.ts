import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import tseslint from "typescript-eslint";
import { describe, expect, it } from "vitest";

// The lint rule that keeps the layout (eslint.config.js): only apps/cli
// imports other apps; packages never import apps, by name or by path. Each
// case lints a line of code as if it sat in the named file (a file no
// tsconfig has, hence without type information).

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const eslint = new ESLint({ cwd: ROOT, overrideConfig: tseslint.configs.disableTypeChecked });

async function restricted(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\nexport {};\n`, { filePath });
  const messages = result?.messages ?? [];
  expect(messages.filter((m) => m.fatal), filePath).toEqual([]);
  return messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

describe("import boundaries", () => {
  it.each([
    ["packages/runs/src/probe.ts", 'import "@porter/enqueuer";'],
    ["packages/testing/src/probe.ts", 'import "@porter/legacy-sim";'],
    ["packages/testing/src/probe.ts", 'import "../../../apps/cli/src/main.js";'],
    ["packages/db/test/probe.ts", 'export { createWorker } from "@porter/worker";'],
    ["apps/dashboard/src/probe.ts", 'import "@porter/enqueuer";'],
    ["apps/worker/src/probe.ts", 'import "../../legacy-sim/src/index.js";'],
    ["apps/enqueuer/test/probe.ts", 'import "@porter/cli";'],
  ])("%s may not %s", async (file, code) => {
    expect(await restricted(file, code)).toHaveLength(1);
  });

  it.each([
    ["apps/cli/src/probe.ts", 'import "@porter/legacy-sim"; import "@porter/dashboard";'],
    ["apps/dashboard/src/probe.ts", 'import "@porter/runs"; import "./pages/layout.js";'],
    ["apps/enqueuer/src/probe.ts", 'import "@porter/runs";'],
    ["e2e/probe.ts", 'import "@porter/legacy-sim";'],
  ])("%s may %s", async (file, code) => {
    expect(await restricted(file, code)).toEqual([]);
  });
});
