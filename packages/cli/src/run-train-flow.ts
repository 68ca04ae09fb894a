/** `perturb train-flow`: maximum-likelihood training of a Glow on a dataset. */
import { initBackend, Rng } from '@perturb/core';
import { runFolder, withRunLock } from '@perturb/core/node';
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
      architecture: config.architecture,
      levels: config.levels,
      steps: config.depth,
      hidden: config.hidden,
      coupling: config.coupling,
      scaleForm: config.scaleForm,
      splitPrior: config.splitPrior,
      topPrior: config.topPrior,
      dataSpace: config.dataSpace,
      // The condition is the one-hot label, as wide as the dataset has classes.
      conditionSize: config.conditional ? trainSet.numClasses : 0,
      rng: new Rng(config.seed).child('flow'),
    });
    const result = await trainFlow({
      model,
      train: asImageArray(trainSet),
      test: asImageArray(testSet),
      storage: runFolder(config.out),
      epochs: config.epochs,
      batchSize: config.batchSize,
      optimizer: config.optimizer,
      lr: config.lr,
      warmupSteps: config.warmupSteps,
      weightDecay: config.weightDecay,
      gradClipNorm: config.gradClipNorm,
      noise: config.noise,
      seed: config.seed,
      progress,
      onEpochEnd: (summary) => {
        if (progress && summary.testBitsPerDim !== null) {
          process.stderr.write(
            `\ntrain-flow: epoch ${summary.epoch}: test bits/dim ${summary.testBitsPerDim.toFixed(4)}\n`,
          );
        }
      },
    });
    model.dispose();
    return result;
  });
}
