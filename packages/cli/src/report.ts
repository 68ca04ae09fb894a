/** The report of a `perturb compare` folder: tables, plot and every run's augmentation grid. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PerturbError } from '@perturb/core';
import { type ReportImage, type RunRecord, mean, readRunResults, writeReport } from '@perturb/eval';
import { type RunFailure, describeRun } from './compare';
import { PREDICTION_GRID } from './prediction-grid';

/** Name of the clean | augmented | difference grid each `perturb train` run writes. */
export const AUGMENTATION_GRID = 'augmented.png';

/**
 * Writes `report.md` and `report.html` into `dir` from the runs under it, naming the runs that
 * `failed` (left out of the tables); returns their paths.
 */
export function writeCompareReport(
  dir: string,
  failed: readonly RunFailure[] = [],
): { markdown: string; html: string } {
  if (!existsSync(join(dir, 'runs'))) {
    throw new PerturbError(
      `${dir} holds no runs/ folder`,
      'pass the folder `perturb compare` wrote (its --out)',
    );
  }
  const runs = readRunResults(join(dir, 'runs'));
  // Segmentation runs are compared by mean IoU; their pixel accuracy gets a table of its own.
  const segmentation = runs.length > 0 && runs.every((r) => r.meanIoU !== undefined);
  const records = segmentation ? runs.map((r) => ({ ...r, accuracy: r.meanIoU as number })) : runs;
  const methods = [...new Set(records.map((r) => r.method))];
  const baseline = methods.includes('baseline') ? 'baseline' : methods[0];
  const images: ReportImage[] = [];
  for (const method of methods) {
    const first = readdirSync(join(dir, 'runs', method))
      .sort()
      .find((run) => existsSync(join(dir, 'runs', method, run, AUGMENTATION_GRID)));
    if (first && method !== baseline) {
      images.push({
        title: `${method}: clean | augmented | difference (${first})`,
        path: join(dir, 'runs', method, first, AUGMENTATION_GRID),
      });
    }
    const predicted = readdirSync(join(dir, 'runs', method))
      .sort()
      .find((run) => existsSync(join(dir, 'runs', method, run, PREDICTION_GRID)));
    if (predicted) {
      images.push({
        title: `${method}: image | prediction | ground truth | error (${predicted})`,
        path: join(dir, 'runs', method, predicted, PREDICTION_GRID),
      });
    }
  }
  images.push(...latestFlowImages(join(dir, 'flow', 'images')));
  // Runs that failed for good (a queue's) are named: the tables leave them out.
  const failures =
    failed.length === 0
      ? ''
      : ` ${failed.length} run(s) failed and are not in the tables: ${failed.map(({ run, error }) => `${describeRun(run)} (${error})`).join('; ')}.`;
  const files = writeReport(dir, {
    title: 'perturb comparison',
    records,
    baseline,
    images,
    ...(segmentation
      ? {
          metric: 'mean IoU',
          notes:
            `Test mean IoU (over the classes, ignored pixels excluded) per method and training-set size, mean ± std over seeds; improvement relative to "${baseline}".${failures}\n\n` +
            pixelAccuracyTable(runs),
        }
      : {
          notes: `Test accuracy per method and training-set size, mean ± std over seeds; improvement relative to "${baseline}".${failures}`,
        }),
  });
  return { markdown: files.markdown, html: files.html };
}

/** Pixel accuracy (%) of segmentation runs, mean over seeds per method and size, as a Markdown table. */
function pixelAccuracyTable(runs: readonly RunRecord[]): string {
  const methods = [...new Set(runs.map((r) => r.method))];
  const sizes = [...new Set(runs.map((r) => r.trainSize))].sort((a, b) => a - b);
  const cell = (method: string, size: number) => {
    const values = runs.filter((r) => r.method === method && r.trainSize === size).map((r) => r.accuracy);
    return values.length > 0 ? (100 * mean(values)).toFixed(2) : '—';
  };
  return [
    'Pixel accuracy (%), mean over seeds:',
    '',
    `| method | ${sizes.map((s) => `n = ${s}`).join(' | ')} |`,
    `|---|${sizes.map(() => '---').join('|')}|`,
    ...methods.map((m) => `| ${m} | ${sizes.map((s) => cell(m, s)).join(' | ')} |`),
  ].join('\n');
}

/** The last epoch's sample and reconstruction grids that `perturb train-flow` wrote, if any. */
function latestFlowImages(imagesDir: string): ReportImage[] {
  if (!existsSync(imagesDir)) return [];
  const files = readdirSync(imagesDir).sort();
  const last = files.filter((f) => f.endsWith('-reconstructions.png')).pop();
  if (!last) return [];
  const epoch = last.slice(0, last.indexOf('-reconstructions.png'));
  return files
    .filter((f) => f.startsWith(`${epoch}-`))
    .map((f) => ({ title: `Glow ${f.slice(epoch.length + 1, -4)} (${epoch})`, path: join(imagesDir, f) }));
}
