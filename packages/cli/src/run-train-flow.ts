/** `perturb train-flow`: maximum-likelihood training of a Glow on a dataset. */
import { initBackend, ProgressBar, Rng, withRunLock } from '@perturb/core';
import type { Dataset } from '@perturb/datasets';
import { Glow, trainFlow, type FlowTrainingResult, type ImageArray } from '@perturb/flows';
import type { TrainFlowConfig } from './flow-config';
import { loadSplits } from './run-train';

function asImageArray(dataset: Dataset): ImageArray {
  const { height, width, channels } = dataset.shape;
  return {
    images: dataset.images,
    count: dataset.labels.length,
    height,
    width,
    channels,
    labels: dataset.labels,
  };
}

/** Trains (or resumes) the flow `config` describes; writes `<out>/checkpoint.safetensors`, images and result.json. */
export async function runTrainFlow(
  config: TrainFlowConfig,
  options: { progress?: boolean } = {},
): Promise<FlowTrainingResult> {
  // One process per run folder: a second one would mix its files with this one's.
  return withRunLock(config.out, 'perturb train-flow', async () => {
    const progress = options.progress ?? true;
    await initBackend({ log: progress });
    const { trainSet, testSet } = await loadSplits(config);
    const { height, width, channels } = trainSet.shape;
    const model = new Glow({
      inputShape: [height, width, channels],
      levels: config.levels,
      steps: config.depth,
      hidden: config.hidden,
      coupling: config.coupling,
      scaleForm: config.scaleForm,
      splitPrior: config.splitPrior,
      rng: new Rng(config.seed).child('flow'),
    });
    const stepsPerEpoch = Math.ceil(trainSet.labels.length / config.batchSize);
    let bar: ProgressBar | null = null;
    const result = await trainFlow({
      model,
      train: asImageArray(trainSet),
      test: asImageArray(testSet),
      outDir: config.out,
      epochs: config.epochs,
      batchSize: config.batchSize,
      optimizer: config.optimizer,
      lr: config.lr,
      warmupSteps: config.warmupSteps,
      weightDecay: config.weightDecay,
      gradClipNorm: config.gradClipNorm,
      seed: config.seed,
      onProgress: (p) => {
        if (!progress) return;
        bar ??= new ProgressBar({
          total: stepsPerEpoch * config.epochs,
          label: 'train-flow',
          start: p.step - 1,
          logEvery: stepsPerEpoch,
        });
        bar.update(p.step, { epoch: `${p.epoch + 1}/${p.epochs}`, 'bits/dim': p.bitsPerDim, lr: p.lr });
      },
      onEpoch: (summary) => {
        if (progress && summary.testBitsPerDim !== null) {
          process.stderr.write(
            `\ntrain-flow: epoch ${summary.epoch + 1}: test bits/dim ${summary.testBitsPerDim.toFixed(4)}\n`,
          );
        }
      },
    });
    (bar as ProgressBar | null)?.done({ 'test bits/dim': result.testBitsPerDim ?? NaN });
    model.dispose();
    return result;
  });
}
