import childProcess from "node:child_process";
import { syncBuiltinESMExports } from "node:module";

// Unit tests start no process (see vitest.unit.config.ts): every way
// node:child_process has of starting one throws, with what to do instead.
const FUNCTIONS = ["spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync", "fork"] as const;

for (const name of FUNCTIONS) {
  Object.assign(childProcess, {
    [name]: (command: unknown) => {
      throw new Error(
        `child_process.${name}(${JSON.stringify(String(command))}) in a unit test: unit tests start no process. ` +
          "Add the test file to the exclude list of vitest.unit.config.ts (npm test still runs it).",
      );
    },
  });
}
// Named imports (`import { spawn } from "node:child_process"`) see the change too.
syncBuiltinESMExports();
