import js from "@eslint/js";
import tseslint from "typescript-eslint";

// The plan the layout keeps: apps/cli is the one binary and may import any
// app; every other app imports packages only; packages never import apps,
// by name or by a relative path. e2e/ and bench/ drive the whole system and
// may import anything. (Spawning `apps/cli/bin/porter.js` as a process, as
// @porter/testing does, is not an import.)
const APPS = { cli: "@porter/cli", dashboard: "@porter/dashboard", enqueuer: "@porter/enqueuer", "legacy-sim": "@porter/legacy-sim", worker: "@porter/worker" };

/** no-restricted-imports options forbidding the given apps, by package name and by path. */
function noImportOf(dirs, message) {
  const names = dirs.map((dir) => APPS[dir]);
  return [
    "error",
    {
      patterns: [
        { group: names.flatMap((name) => [name, `${name}/**`]), message },
        // A path through the repository's apps/ folder, or from one app's folder into another's.
        { regex: `(^|/)apps/|^(\\.\\./){2,}(${dirs.join("|")})(/|$)`, message },
      ],
    },
  ];
}

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "**/.turbo/**", "bench/results/**", "packages/db/drizzle/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: {
      // Type information, for the promise and switch rules below.
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/switch-exhaustiveness-check": ["error", { considerDefaultExhaustiveForUnions: true }],
    },
  },
  {
    // Outside every tsconfig (tool configs): linted without type information.
    files: ["*.ts", "packages/db/drizzle.config.ts"],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    languageOptions: {
      globals: { process: "readonly", console: "readonly", setTimeout: "readonly", clearTimeout: "readonly" },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // config is parsed once, in @porter/config; everything else receives it
      "no-restricted-properties": ["error", { object: "process", property: "env", message: "Read configuration through @porter/config." }],
    },
  },
  {
    files: ["packages/**"],
    rules: { "no-restricted-imports": noImportOf(Object.keys(APPS), "Packages never import apps: move what both need into a package.") },
  },
  ...Object.keys(APPS)
    .filter((dir) => dir !== "cli")
    .map((dir) => ({
      files: [`apps/${dir}/**`],
      rules: {
        "no-restricted-imports": noImportOf(
          Object.keys(APPS).filter((other) => other !== dir),
          "Only apps/cli imports other apps: move what both need into a package.",
        ),
      },
    })),
  {
    files: ["packages/config/src/**", "**/test/**", "e2e/**", "bench/**", "packages/testing/src/**", "apps/cli/src/commands/demo.ts"],
    rules: { "no-restricted-properties": "off" },
  },
);
