import * as tf from '@tensorflow/tfjs-core';
import { horizontalFlip, pipeline, randomCrop } from '@perturb/augmenters';
import { type Batch, Rng, TinyClassifier, assertNoTensorLeak, initBackend } from '@perturb/core';
import { train } from '@perturb/trainer';
import { beforeAll, describe, expect, it } from 'vitest';
import { gaussianNoise } from './index';

beforeAll(async () => {
  await initBackend({ backend: 'wasm', log: false });
});

function toyBatch(rng: Rng, n = 8): Batch {
  return {
    x: rng.uniformTensor([n, 8, 8, 1]) as tf.Tensor4D,
    y: tf.tidy(() =>
      tf.cast(
        tf.oneHot(
          Array.from({ length: n }, (_, i) => i % 2),
          2,
        ),
        'float32',
      ),
    ) as tf.Tensor2D,
  };
}

describe('gaussianNoise, a third-party augmenter', () => {
  let model: TinyClassifier;
  beforeAll(() => {
    model = new TinyClassifier({ numClasses: 2 });
  });
  const ctx = (seed: number) => ({ model, rng: new Rng(seed), step: 0, epoch: 0 });

  it('keeps images in [0, 1], changes them, and repeats for a seed', () => {
    const batch = toyBatch(new Rng(1));
    const a = gaussianNoise({ std: 0.1 }).transform!(batch, ctx(3)).x;
    const b = gaussianNoise({ std: 0.1 }).transform!(batch, ctx(3)).x;
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(tf.max(tf.abs(tf.sub(a, batch.x))).dataSync()[0]).toBeGreaterThan(0.05);
    expect(tf.min(a).dataSync()[0]).toBeGreaterThanOrEqual(0);
    expect(tf.max(a).dataSync()[0]).toBeLessThanOrEqual(1);
  });

  it('composes with the built-in augmenters and trains in the perturb trainer without leaks', async () => {
    const augment = pipeline([randomCrop({ padding: 1 }), horizontalFlip(), gaussianNoise()]);
    const batch = toyBatch(new Rng(2));
    await assertNoTensorLeak(() => tf.tidy(() => void augment.transform!(batch, ctx(4))));
    const result = await train({
      model: new TinyClassifier({ numClasses: 2 }),
      train: { batchesPerEpoch: 2, batches: (rng) => [toyBatch(rng), toyBatch(rng)] },
      augmenters: [augment],
      optimizer: { name: 'sgd' },
      lr: 0.05,
      epochs: 2,
      seed: 0,
      progress: false,
    });
    expect(result.epochs).toHaveLength(2);
    expect(Number.isFinite(result.epochs[1].trainLoss)).toBe(true);
  });
});
