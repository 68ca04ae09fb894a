/**
 * The whole experiment through the library API: data → Glow → one classifier per method and
 * seed → evaluation → report. Every step writes under `options.out` and resumes when rerun.
 */
import { join } from 'node:path';
import { initBackend } from '@perturb/core';
import type { ReportFiles, ReportImage } from '@perturb/eval/node';
import { loadLowDataSplits } from './data';
import { type TrainedFlow, trainLowDataFlow } from './flow';
import { type LowDataOverrides, resolveOptions } from './options';
import { writeLatentPerturbationGrid } from './perturbation-grid';
import { type ExperimentResult, writeExperimentReport } from './report';
import { type RunResult, trainAndEvaluate } from './run';

const GRID_FILE = 'la-glow-perturbations.png';

/** Runs the experiment `overrides` describe (over the defaults) and writes its report. */
export async function runLowDataExperiment(
  overrides: LowDataOverrides = {},
): Promise<{ result: ExperimentResult; files: ReportFiles }> {
  const options = resolveOptions(overrides);
  const backend = await initBackend({ backend: options.backend, log: options.progress });
  const splits = await loadLowDataSplits(options);
  const { out } = options;
  let trained: TrainedFlow | null = null;
  try {
    if (options.methods.includes('la-glow-adversarial')) {
      trained = await trainLowDataFlow(
        splits.trainSet,
        splits.testSet,
        options.flow,
        join(out, 'flow'),
        options.progress,
      );
    }
    const context = { flow: trained?.flow, afanSite: options.afanSite };
    const images: ReportImage[] = [];
    const runs: RunResult[] = [];
    for (const seed of options.seeds) {
      for (const method of options.methods) {
        const drawGrid = method === 'la-glow-adversarial' && images.length === 0;
        const runDir = join(out, 'runs', method, `s${seed}`);
        runs.push(
          await trainAndEvaluate(method, seed, splits, options, context, runDir, (model) => {
            if (!drawGrid || !trained) return;
            const path = join(out, GRID_FILE);
            writeLatentPerturbationGrid(path, trained.flow, model, splits.testSet);
            images.push({ title: `LA-Glow perturbations against the seed-${seed} classifier`, path });
          }),
        );
      }
    }
    const result: ExperimentResult = {
      dataset: splits.dataset,
      trainSize: splits.trainSet.labels.length,
      testSize: splits.testSet.labels.length,
      backend: backend.name,
      options,
      flowTestBitsPerDim: trained?.testBitsPerDim ?? null,
      runs,
    };
    return { result, files: writeExperimentReport(out, result, images) };
  } finally {
    trained?.flow.dispose();
  }
}
