/** The Glow LA-Glow perturbs through, trained by maximum likelihood on the training subset only. */
import { Rng } from '@perturb/core';
import { runFolder } from '@perturb/core/node';
import type { Dataset } from '@perturb/datasets';
import { Glow, trainFlow } from '@perturb/flows';
import type { FlowOptions } from './options';

export interface TrainedFlow {
  /** Frozen (eval mode); the caller disposes it. */
  flow: Glow;
  /** Test bits/dim after the last epoch. */
  testBitsPerDim: number | null;
}

/**
 * Trains (or resumes, from `<outDir>/checkpoint.safetensors`) a Glow on `trainSet`. Only the
 * classifier's own training images are used, so LA-Glow gets no data the baseline lacks.
 */
export async function trainLowDataFlow(
  trainSet: Dataset,
  testSet: Dataset,
  options: FlowOptions,
  outDir: string,
  progress: boolean,
): Promise<TrainedFlow> {
  const { height, width, channels } = trainSet.shape;
  const flow = new Glow({
    inputShape: [height, width, channels],
    levels: options.levels,
    steps: options.steps,
    hidden: options.hidden,
    rng: new Rng(0).child('flow'),
  });
  const asImages = (dataset: Dataset) => ({
    images: dataset.images,
    count: dataset.labels.length,
    height,
    width,
    channels,
  });
  const stepsPerEpoch = Math.ceil(trainSet.labels.length / options.batchSize);
  const result = await trainFlow({
    model: flow,
    train: asImages(trainSet),
    test: asImages(testSet),
    storage: runFolder(outDir),
    epochs: options.epochs,
    batchSize: options.batchSize,
    // Warm up over the first epoch: the default 200 steps would outlast a small run.
    warmupSteps: stepsPerEpoch,
    sampleCount: 16,
    seed: 0,
    onEpochEnd: progress
      ? (e) =>
          process.stderr.write(
            `flow: epoch ${e.epoch}/${options.epochs}, test bits/dim ${e.testBitsPerDim?.toFixed(3)}\n`,
          )
      : undefined,
  });
  flow.eval();
  return { flow, testBitsPerDim: result.testBitsPerDim };
}
