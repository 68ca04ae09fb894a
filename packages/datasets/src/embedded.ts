/** The folder of data files shipped inside this package (`data/`). */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PerturbError } from '@perturb/core';

/** The folder this module runs from: `src/` under vitest, `dist/` when built (ESM or CJS). */
function moduleDir(): string {
  // CJS builds have __dirname and no import.meta.url; ESM has the reverse.
  if (typeof __dirname === 'string') return __dirname;
  return dirname(fileURLToPath(import.meta.url));
}

/**
 * The package's `data/` folder, found by walking up from this module so the same code works from
 * `src/`, `dist/index.js` and `dist/index.cjs`, and inside `node_modules`.
 */
export function packageDataDir(): string {
  let dir = moduleDir();
  for (;;) {
    const candidate = join(dir, 'data');
    if (existsSync(join(candidate, 'fashion-mnist-small'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new PerturbError(
        `@perturb/datasets has no data/ folder above ${moduleDir()}`,
        'Reinstall @perturb/datasets: its installation is incomplete',
      );
    }
    dir = parent;
  }
}
