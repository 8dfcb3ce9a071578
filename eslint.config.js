import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "**/.turbo/**", "bench/results/**", "packages/db/drizzle/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
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
    files: ["packages/config/src/**", "**/test/**", "e2e/**", "bench/**", "packages/testing/src/**", "apps/cli/src/commands/demo.ts"],
    rules: { "no-restricted-properties": "off" },
  },
);
