import { defineConfig } from 'vitest/config';

// Unlike the packages, the example resolves @perturb/* like a user's project: through
// node_modules to the built packages (nx builds them first).
export default defineConfig({
  test: { include: ['src/**/*.test.ts'], pool: 'forks', testTimeout: 120_000, hookTimeout: 120_000 },
});
