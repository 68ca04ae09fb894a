/**
 * Trains a fresh classifier on the page's 1,000 training images with @perturb/trainer, in a
 * worker: the trainer's loop runs to the end without yielding, and here it blocks no one while
 * every step's loss goes to the page for its curve.
 */
import { cutout, horizontalFlip, randomCrop } from '@perturb/augmenters';
import type { Augmenter } from '@perturb/core';
import { batchCount, batches } from '@perturb/datasets';
import { train } from '@perturb/trainer';
import { loadImages } from './assets';
import { startBackend } from './backend';
import { createClassifier } from './models';
import type { PageAugmenter, TrainMessage, TrainRequest } from './training-protocol';

const AUGMENTERS: Record<PageAugmenter, () => Augmenter> = {
  crop: () => randomCrop({ padding: 2 }),
  flip: () => horizontalFlip(),
  cutout: () => cutout({ size: 8 }),
};

const post = (message: TrainMessage) => self.postMessage(message);

self.onmessage = async ({ data: request }: MessageEvent<TrainRequest>) => {
  try {
    const started = performance.now();
    const backend = await startBackend(request.backend);
    post({ kind: 'started', backend: backend.name });
    const [trainSet, testSet] = await Promise.all([
      loadImages(request.base, 'train'),
      loadImages(request.base, 'test'),
    ]);
    const model = createClassifier(request.seed);
    const { batchSize } = request;
    const result = await train({
      model,
      train: {
        batchesPerEpoch: batchCount(trainSet, { batchSize }),
        batches: (rng) => batches(trainSet, { batchSize, rng }),
      },
      test: () => batches(testSet, { batchSize: 100, shuffle: false }),
      augmenters: request.augmenters.map((name) => AUGMENTERS[name]()),
      optimizer: { name: 'adam' },
      lr: 2e-3,
      steps: request.steps,
      evalEvery: 0,
      seed: request.seed,
      progress: false,
      onStep: ({ step, loss }) => post({ kind: 'step', step, loss }),
    });
    model.dispose();
    post({
      kind: 'done',
      testAccuracy: result.final!.accuracy,
      seconds: (performance.now() - started) / 1000,
    });
  } catch (error) {
    post({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
  }
};
