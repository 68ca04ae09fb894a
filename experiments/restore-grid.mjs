/**
 * Puts a grid's committed runs back into a compare folder, so a sitting on a fresh machine (a
 * new clone, whose runs/ is empty) trains only what is left:
 *   node experiments/restore-grid.mjs fashion-mnist-rerun runs/fashion-mnist-rerun
 *   perturb compare --config experiments/fashion-mnist-rerun.yaml ...   # skips the restored runs
 * It copies docs/results/<name>/runs/<method>/<run>/ (result.json, config.yaml and image grids,
 * as snapshot-grid.mjs keeps them) into <folder>/runs/ for every run the folder has not finished;
 * finished runs in the folder are never overwritten. `perturb compare` then checks each restored
 * run's recorded settings against the config, as it does for its own, and refuses stale ones.
 * Shared models (the flow, the VAE-GANs) are not restored: their checkpoints are too large to
 * commit, and a sitting whose methods need one trains it again — the same seed on the same
 * backend gives the same model.
 */
import { cpSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './lib/runs.mjs';

const [name, gridDir] = process.argv.slice(2);
if (!name || !gridDir) {
  console.error('usage: node experiments/restore-grid.mjs <name of a docs/results grid> <compare folder>');
  process.exit(2);
}
const kept = join(root, 'docs/results', name);
if (!existsSync(join(kept, 'runs'))) {
  console.error(
    `docs/results/${name}/runs does not exist: snapshot the grid first (experiments/snapshot-grid.mjs)`,
  );
  process.exit(1);
}

let restored = 0;
for (const method of readdirSync(join(kept, 'runs'))) {
  for (const run of readdirSync(join(kept, 'runs', method))) {
    const source = join(kept, 'runs', method, run);
    const target = join(gridDir, 'runs', method, run);
    // Only finished runs are kept; a folder the grid has finished itself is newer than the copy.
    if (!existsSync(join(source, 'result.json')) || existsSync(join(target, 'result.json'))) continue;
    // An interrupted attempt's checkpoint may stay beside the restored record: result.json says finished.
    cpSync(source, target, { recursive: true });
    restored += 1;
  }
}
console.log(`restored ${restored} finished run(s) into ${gridDir}`);
