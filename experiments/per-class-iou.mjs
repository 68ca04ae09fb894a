/**
 * Per-class test IoU of a segmentation grid, mean over seeds per method and training-set size,
 * from each run's result.json (`test.scores.perClassIoU`) — where a method's mean IoU moves,
 * class by class:
 *   node experiments/per-class-iou.mjs runs/scenes-segmentation scenes-segmentation
 * → docs/results/<name>.per-class.md. Class names are the scenes' (background, then
 * Fashion-MNIST's ten); other datasets print class indices.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DATASETS } from '@perturb/datasets';
import { mean } from '@perturb/eval';
import { readRunResults } from '@perturb/eval/node';
import { atomicWrite, root } from './lib/runs.mjs';

const [gridDir, name] = process.argv.slice(2);
if (!gridDir || !name) {
  console.error('usage: node experiments/per-class-iou.mjs <compare folder> <name>');
  process.exit(2);
}
const runs = readRunResults(join(gridDir, 'runs')).map((record) => ({
  ...record,
  perClass: JSON.parse(readFileSync(record.source, 'utf8')).test?.scores?.perClassIoU,
}));
const scored = runs.filter((r) => Array.isArray(r.perClass));
if (scored.length === 0) {
  console.error(`no run under ${gridDir}/runs has test.scores.perClassIoU: pass a segmentation grid`);
  process.exit(1);
}
const classes = scored[0].perClass.length;
const sceneClasses = ['background', ...DATASETS['fashion-mnist'].classNames];
const classNames = classes === sceneClasses.length ? sceneClasses : [...Array(classes).keys()].map(String);

const sizes = [...new Set(scored.map((r) => r.trainSize))].sort((a, b) => a - b);
// compare.yaml's order, as the grid's report lists them; methods it does not name after those.
const gridFile = join(gridDir, 'compare.yaml');
const listed = existsSync(gridFile) ? Object.keys(parse(readFileSync(gridFile, 'utf8')).methods ?? {}) : [];
const methods = [...new Set([...listed, ...scored.map((r) => r.method)])];
const lines = [`Per-class test IoU (%), mean over seeds (${scored.length} runs).`, ''];
for (const size of sizes) {
  const rows = methods
    .map((method) => ({ method, runs: scored.filter((r) => r.method === method && r.trainSize === size) }))
    .filter((row) => row.runs.length > 0);
  lines.push(`### n = ${size}`, '');
  lines.push(`| class | ${rows.map((row) => `${row.method} (${row.runs.length})`).join(' | ')} |`);
  lines.push(`| --- | ${rows.map(() => '---:').join(' | ')} |`);
  classNames.forEach((className, c) => {
    const cells = rows.map((row) => {
      // A class absent from the test set has no IoU (null): average the runs that scored it.
      const values = row.runs.map((r) => r.perClass[c]).filter((v) => typeof v === 'number');
      return values.length > 0 ? (100 * mean(values)).toFixed(1) : '—';
    });
    lines.push(`| ${className} | ${cells.join(' | ')} |`);
  });
  lines.push('');
}
atomicWrite(join(root, 'docs/results', `${name}.per-class.md`), lines.join('\n'));
console.log(lines.join('\n'));
