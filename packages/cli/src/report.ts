/** The report of a `perturb compare` folder: tables, plot and every run's augmentation grid. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PerturbError } from '@perturb/core';
import { type ReportImage, readRunResults, writeReport } from '@perturb/eval/node';

/** Name of the clean | augmented | difference grid each `perturb train` run writes. */
export const AUGMENTATION_GRID = 'augmented.png';

/** Writes `report.md` and `report.html` into `dir` from the runs under it; returns their paths. */
export function writeCompareReport(dir: string): { markdown: string; html: string } {
  if (!existsSync(join(dir, 'runs'))) {
    throw new PerturbError(
      `${dir} holds no runs/ folder`,
      'pass the folder `perturb compare` wrote (its --out)',
    );
  }
  const records = readRunResults(join(dir, 'runs'));
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
  }
  images.push(...latestFlowImages(join(dir, 'flow', 'images')));
  const files = writeReport(dir, {
    title: 'perturb comparison',
    records,
    baseline,
    images,
    notes: `Test accuracy per method and training-set size, mean ± std over seeds; improvement relative to "${baseline}".`,
  });
  return { markdown: files.markdown, html: files.html };
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
