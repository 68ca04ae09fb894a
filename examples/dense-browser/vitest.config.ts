import { defineConfig } from 'vitest/config';

// The browser test reads the page tsup built (nx builds it before `test`).
export default defineConfig({
  test: { include: ['test/**/*.test.ts'], pool: 'forks', testTimeout: 120_000, hookTimeout: 120_000 },
});
