/** One classifier: built, trained with a method's augmenters (resumably), then evaluated. */
import { createHash } from 'node:crypto';
import { Rng } from '@perturb/core';
import { runFolder } from '@perturb/core/node';
import { createClassifier, type SitedClassifier } from '@perturb/classifiers';
import { batchCount, batches } from '@perturb/datasets';
import { evaluateClassifier } from '@perturb/eval';
import { train } from '@perturb/trainer';
import type { LowDataSplits } from './data';
import { type MethodContext, methodAugmenters } from './methods';
import type { LowDataOptions, Method } from './options';

/** What one run measured. Everything but `seconds` repeats exactly for a seed on one backend. */
export interface RunResult {
  method: Method;
  seed: number;
  /** Test accuracy in [0, 1]. */
  accuracy: number;
  /** Top-5 test accuracy in [0, 1]. */
  top5Accuracy: number;
  /** Expected calibration error on the test set, in [0, 1]. */
  ece: number;
  /** Mean test cross-entropy. */
  testLoss: number;
  /** Mean training loss of the last epoch (each method's own objective). */
  trainLoss: number;
  /** Wall time of training and evaluation. */
  seconds: number;
}

/**
 * Trains `method`'s classifier for `seed` into `outDir` (a rerun resumes from its checkpoint)
 * and evaluates it. `inspect` sees the trained model before it is disposed.
 */
export async function trainAndEvaluate(
  method: Method,
  seed: number,
  splits: LowDataSplits,
  options: LowDataOptions,
  context: MethodContext,
  outDir: string,
  inspect?: (model: SitedClassifier) => void,
): Promise<RunResult> {
  const started = Date.now();
  const { trainSet, testSet } = splits;
  // The model's initial weights depend on the seed only, so every method starts from the same ones.
  const model = createClassifier(options.model, {
    rng: new Rng(seed).child('model'),
    numClasses: trainSet.numClasses,
    inChannels: trainSet.shape.channels,
  });
  try {
    const { batchSize } = options;
    const training = await train({
      model,
      train: {
        batchesPerEpoch: batchCount(trainSet, { batchSize }),
        batches: (rng) => batches(trainSet, { batchSize, rng }),
      },
      augmenters: methodAugmenters(method, context),
      optimizer: { name: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
      lr: options.lr,
      schedule: { name: 'onecycle' },
      epochs: options.epochs,
      seed,
      storage: runFolder(outDir),
      fingerprint: fingerprint(method, seed, splits.dataset, options),
      progress: options.progress,
      label: `${method} seed ${seed}`,
    });
    const evaluation = evaluateClassifier(model, batches(testSet, { batchSize: 250, shuffle: false }));
    inspect?.(model);
    return {
      method,
      seed,
      accuracy: evaluation.accuracy,
      top5Accuracy: evaluation.topK.accuracy,
      ece: evaluation.ece,
      testLoss: evaluation.loss,
      trainLoss: training.epochs[training.epochs.length - 1].trainLoss,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    model.dispose();
  }
}

/** Identifies everything that changes a run's numbers, so a checkpoint of another setup is refused. */
function fingerprint(method: Method, seed: number, dataset: string, options: LowDataOptions): string {
  const { trainSize, model, afanSite, epochs, batchSize, lr, flow } = options;
  const settings = { method, seed, dataset, trainSize, model, afanSite, epochs, batchSize, lr, flow };
  return createHash('sha256').update(JSON.stringify(settings)).digest('hex').slice(0, 16);
}
