/**
 * Writes the finished runs of a `perturb compare` folder to docs/results, so a grid that runs
 * across sittings has its current figures committed after each one:
 *   node experiments/snapshot-grid.mjs runs/fashion-mnist-low-data fashion-mnist-low-data
 * → docs/results/<name>.runs.json (every finished run: its config, accuracy, task scores and
 *   training time), docs/results/<name>.table.md (mean ± std per method and size of the score
 *   the grid's report compares by — accuracy, or mean IoU / mAP for dense tasks — seeds, time per
 *   run, and how far the grid is) and docs/results/<name>/ laid out as the compare folder the
 *   report reads: compare.yaml and each finished run's result.json, config.yaml and image grids.
 *   That copy is what a later sitting on another machine starts from (restore-grid.mjs) and what
 *   `perturb report docs/results/<name>` writes the report from. The prose around the table lives
 *   in docs/results/<name>.md.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parse } from 'yaml';
import { aggregateRuns, comparedByPrimaryMetric } from '@perturb/eval';
import { readRunResults } from '@perturb/eval/node';
import { atomicWrite, root } from './lib/runs.mjs';

const [gridDir, name] = process.argv.slice(2);
if (!gridDir || !name) {
  console.error('usage: node experiments/snapshot-grid.mjs <compare folder> <name>');
  process.exit(2);
}
const grid = parse(readFileSync(join(gridDir, 'compare.yaml'), 'utf8'));
const planned = Object.keys(grid.methods).length * grid.seeds.length * grid.trainSizes.length;
const records = existsSync(join(gridDir, 'runs')) ? readRunResults(join(gridDir, 'runs')) : [];

const runs = records.map((r) => {
  const result = JSON.parse(readFileSync(r.source, 'utf8'));
  return {
    method: r.method,
    trainSize: r.trainSize,
    seed: r.seed,
    accuracy: r.accuracy,
    ...(r.scores === undefined ? {} : { scores: r.scores }),
    trainingSeconds: r.seconds,
    ...(r.cpuSeconds === undefined ? {} : { trainingCpuSeconds: r.cpuSeconds }),
    config: result.config,
  };
});
const out = join(root, 'docs/results');
keepRunRecords(
  records.map((r) => dirname(r.source)),
  join(out, name),
);
atomicWrite(
  join(out, `${name}.runs.json`),
  JSON.stringify({ grid: gridDir, planned, finished: runs.length, runs }, null, 2) + '\n',
);

const percent = (x) => (100 * x).toFixed(2);
const minutes = (seconds) => `${(seconds / 60).toFixed(1)} min`;
const { metric, records: compared } = comparedByPrimaryMetric(records);
// A sitting may finish other methods before the baseline's runs: no "vs baseline" until they exist.
const hasBaseline = compared.some((record) => record.method === 'baseline');
const rows = aggregateRuns(compared, { baseline: hasBaseline ? 'baseline' : undefined });
const lines = [
  `${runs.length} of ${planned} runs finished (${new Date().toISOString().slice(0, 10)}).`,
  '',
  `| method | images | seeds | test ${metric?.name ?? 'accuracy'} (%) | vs baseline | training time / run | CPU time / run |`,
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map((row) => {
    const acc =
      row.seeds.length > 1
        ? `${percent(row.accuracy.mean)} ± ${percent(row.accuracy.std)}`
        : percent(row.accuracy.mean);
    const vs =
      row.improvement === undefined
        ? '—'
        : `${row.improvement >= 0 ? '+' : ''}${row.improvement.toFixed(2)}%`;
    return `| ${row.method} | ${row.trainSize} | ${row.seeds.join(', ')} | ${acc} | ${vs} | ${minutes(row.meanSeconds)} | ${row.meanCpuSeconds === undefined ? '—' : minutes(row.meanCpuSeconds)} |`;
  }),
  '',
];
atomicWrite(join(out, `${name}.table.md`), lines.join('\n'));
console.log(lines.join('\n'));

/**
 * Copies the grid's compare.yaml and, of each finished run folder, what records it (result.json,
 * config.yaml, the PNG grids the report shows) into `kept`, as <kept>/runs/<method>/<run>/: the
 * checkpoints and logs stay behind. Files are written whole (atomically), so an interrupted
 * snapshot leaves no torn record for a restore to trust.
 */
function keepRunRecords(runDirs, kept) {
  mkdirSync(kept, { recursive: true });
  atomicWrite(join(kept, 'compare.yaml'), readFileSync(join(gridDir, 'compare.yaml')));
  for (const runDir of runDirs) {
    const target = join(kept, 'runs', basename(dirname(runDir)), basename(runDir));
    mkdirSync(target, { recursive: true });
    for (const file of readdirSync(runDir)) {
      if (file === 'result.json' || file === 'config.yaml' || file.endsWith('.png')) {
        atomicWrite(join(target, file), readFileSync(join(runDir, file)));
      }
    }
  }
}
