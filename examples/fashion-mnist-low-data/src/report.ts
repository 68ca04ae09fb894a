/** `results.json` and the Markdown/HTML report of one experiment. */
import { join } from 'node:path';
import { writeFileAtomic } from '@perturb/core/node';
import { type ReportFiles, type ReportImage, writeReport } from '@perturb/eval/node';
import { METHOD_NOTES } from './methods';
import type { LowDataOptions } from './options';
import type { RunResult } from './run';

/** Everything an experiment measured; written to `<out>/results.json`. */
export interface ExperimentResult {
  /** The dataset read (`'auto'` resolved). */
  dataset: string;
  trainSize: number;
  testSize: number;
  backend: string;
  options: LowDataOptions;
  /** Test bits/dim of the Glow, or null when no method needed one. */
  flowTestBitsPerDim: number | null;
  runs: RunResult[];
}

/** Writes `results.json`, `report.md`, `report.html` and `accuracy.svg` into `out`. */
export function writeExperimentReport(
  out: string,
  result: ExperimentResult,
  images: ReportImage[],
): ReportFiles {
  writeFileAtomic(join(out, 'results.json'), JSON.stringify(result, null, 2) + '\n');
  const { options } = result;
  const methods = options.methods.map((m) => `- **${m}**: ${METHOD_NOTES[m]}`).join('\n');
  const flow =
    result.flowTestBitsPerDim === null
      ? ''
      : `\n\nGlow (L = ${options.flow.levels}, K = ${options.flow.steps}, width ${options.flow.hidden}, ` +
        `${options.flow.epochs} epochs on the training images only): test ${result.flowTestBitsPerDim.toFixed(3)} bits/dim.`;
  const notes =
    `${options.model} on ${result.trainSize} ${result.dataset} training images (balanced), ` +
    `tested on ${result.testSize}; ${options.epochs} epochs, batch ${options.batchSize}, SGD with ` +
    `Nesterov momentum 0.9, weight decay 5e-4, one-cycle to lr ${options.lr}; ${result.backend} backend.` +
    `${flow}\n\n${methods}`;
  return writeReport(out, {
    title: 'Low-data Fashion-MNIST: classical augmentation, LA-Glow and A-FAN',
    records: result.runs.map((run) => ({
      method: run.method,
      trainSize: result.trainSize,
      seed: run.seed,
      accuracy: run.accuracy,
      seconds: run.seconds,
    })),
    baseline: 'baseline',
    images,
    notes,
  });
}
