import { defineConfig } from "vitest/config";

// Two cores on CI: a couple of workers, generous per-test timeout for e2e servers.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
