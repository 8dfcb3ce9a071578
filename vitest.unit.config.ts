import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

/**
 * `npm run test:unit`: the inner loop. A unit test is a test file of a
 * package or app (`packages/*\/test`, `apps/*\/test`) that starts no process —
 * no private Redis or Postgres, no `porter` command, no browser. It may use
 * the machine's Redis and Postgres and servers of its own inside the test
 * process (each file isolates itself: own database, own queue prefix).
 * e2e/ is never unit.
 *
 * The rule is enforced, not just stated: vitest.unit.setup.ts makes every
 * child_process call throw, so a test that starts a process fails here with
 * a message saying so, and is then listed below. `npm test` runs them all.
 */
// Spread, not mergeConfig: that would concatenate `include` and bring e2e/ back.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ["packages/*/test/**/*.test.ts", "apps/*/test/**/*.test.ts"],
    exclude: [
      "**/node_modules/**",
      // Start processes of their own:
      "apps/enqueuer/test/store-outage.test.ts", // private Redis and Postgres, killed and restarted
      "apps/worker/test/memory-budget.test.ts", // a `porter worker` process, for its memory
      "packages/queue/test/check-redis.test.ts", // private Redis servers with other settings
    ],
    setupFiles: ["./vitest.unit.setup.ts"],
    // One module cache per worker instead of a fresh import for every file:
    // less than half the CPU time. Safe while each file makes its own database,
    // queue prefix and servers and none mocks a module or fakes timers.
    // (More workers than cores would halve the wall time again, but the
    // extractor's timing tests need the CPU they measure.)
    isolate: false,
  },
});
