/**
 * Rewrites a committed grid report (docs/results/<name>/report.md, report.html, accuracy.png) with
 * the current report writer, from the runs stored in docs/results/<name>.runs.json — for when the
 * report's presentation changes and the runs themselves are long gone:
 *   node experiments/regenerate-report.mjs fashion-mnist-1000
 * It lays the stored runs out as the compare folder `perturb report` reads (each run's
 * result.json, experiments/<name>.yaml as compare.yaml, the committed augmentation and flow
 * grids) in a temporary folder named after the grid, writes the report there and copies it back.
 * The numbers are the stored ones; runs.json keeps no backend or finishing time, so the report
 * says those are not recorded.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCompareReport } from '@perturb/cli';
import { RESULT_SCORE_FIELDS } from '@perturb/eval';
import { root } from './lib/runs.mjs';

const [name] = process.argv.slice(2);
if (!name) {
  console.error('usage: node experiments/regenerate-report.mjs <name of a docs/results grid>');
  process.exit(2);
}
const results = join(root, 'docs/results');
const stored = JSON.parse(readFileSync(join(results, `${name}.runs.json`), 'utf8'));
const scratch = mkdtempSync(join(tmpdir(), 'perturb-regenerate-'));
const grid = join(scratch, name);
try {
  mkdirSync(grid);
  cpSync(join(root, 'experiments', `${name}.yaml`), join(grid, 'compare.yaml'));
  for (const folder of ['runs', 'flow']) {
    if (existsSync(join(results, name, folder))) cpSync(join(results, name, folder), join(grid, folder), { recursive: true });
  }
  for (const run of stored.runs) {
    const dir = join(grid, 'runs', run.method, `n${run.trainSize}-s${run.seed}`);
    mkdirSync(dir, { recursive: true });
    const result = {
      config: run.config,
      testAccuracy: run.accuracy,
      // The task scores back under the result.json fields they were read from (testMeanIoU, testMAP, …).
      ...Object.fromEntries(
        Object.entries(run.scores ?? {}).map(([score, value]) => [RESULT_SCORE_FIELDS[score], value]),
      ),
      trainingSeconds: run.trainingSeconds,
      ...(run.trainingCpuSeconds === undefined ? {} : { trainingCpuSeconds: run.trainingCpuSeconds }),
    };
    writeFileSync(join(dir, 'result.json'), JSON.stringify(result));
  }
  // No `bin`: the code that ran these runs is not recorded, and today's commit is not it.
  writeCompareReport(grid);
  for (const file of ['report.md', 'report.html', 'accuracy.png']) cpSync(join(grid, file), join(results, name, file));
  console.log(`docs/results/${name}/report.html rewritten from ${stored.runs.length} stored runs`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
