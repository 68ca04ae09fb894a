import { readdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = dirname(fileURLToPath(import.meta.url));

/**
 * Tests import sibling packages from source, so `vitest` needs no prior build: `@perturb/x/node`
 * is `src/node.ts`, `@perturb/x` what Node loads (`src/index.node.ts` where a package has one,
 * else `src/index.ts`). The `/node` aliases come first: an alias also matches as a path prefix.
 */
const source = (dir: string, file: string) => join(root, 'packages', dir, 'src', file);
const packages = readdirSync(join(root, 'packages')).filter((dir) => existsSync(source(dir, 'index.ts')));
const alias = Object.fromEntries([
  ...packages
    .filter((dir) => existsSync(source(dir, 'node.ts')))
    .map((dir) => [`@perturb/${dir}/node`, source(dir, 'node.ts')]),
  ...packages.map((dir) => [
    `@perturb/${dir}`,
    source(dir, existsSync(source(dir, 'index.node.ts')) ? 'index.node.ts' : 'index.ts'),
  ]),
]);

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // tfjs backends are process-global: one file per worker, no shared state between files.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
