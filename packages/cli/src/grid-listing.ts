/** `perturb compare --dry-run`: what a checked grid would do, without training anything. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type CompareConfig, type GridRun, gridRuns, sharedModelsUsed } from './compare';

/** Where a run stands: finished (skipped), started (resumes from its checkpoint) or not started. */
function runState(run: GridRun): string {
  if (existsSync(join(run.dir, 'result.json'))) return 'finished';
  return existsSync(join(run.dir, 'checkpoint.safetensors')) ? 'resumes' : 'to run';
}

/**
 * The grid as text: its size, the shared models it trains first, then one line per run in the
 * order `perturb compare` starts them (index for `--run-index`, method, size, seed, state) and
 * a count per state. The config has been checked by then (`readCompareConfig`), so a listing
 * means every run's settings are valid.
 */
export function gridListing(config: CompareConfig): string {
  const runs = gridRuns(config);
  const methods = Object.keys(config.methods);
  const states = runs.map(runState);
  const shared = sharedModelsUsed(config).map((model) => model.description);
  const lines = [
    `${runs.length} runs: ${methods.length} methods × ${config.trainSizes.length} training-set sizes × ${config.seeds.length} seeds → ${resolve(config.out)}`,
    `shared models trained first: ${shared.length > 0 ? shared.join(', ') : 'none'}`,
    ...runs.map((run, i) => `  ${i}\t${run.method}\tn${run.trainSize}\ts${run.seed}\t${states[i]}`),
    ['finished', 'resumes', 'to run']
      .map((state) => `${states.filter((s) => s === state).length} ${state}`)
      .join(', '),
  ];
  return lines.join('\n') + '\n';
}
