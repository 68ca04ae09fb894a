/** Small fixtures for this package's tests: a toy batch, a step context, a toy data source. */
import * as tf from '@tensorflow/tfjs-core';
import { type Batch, type Model, Rng, type StepContext } from '@perturb/core';

export const SIZE = 8;
export const CLASSES = 2;

/** `count` 8×8×1 images of two classes (bright top half vs bright bottom half) plus noise. */
export function toyBatch(count: number, seed: number): Batch {
  const rng = new Rng(seed);
  const pixels = new Float32Array(count * SIZE * SIZE);
  const labels: number[] = [];
  for (let i = 0; i < count; i++) {
    const label = rng.int(CLASSES);
    labels.push(label);
    for (let p = 0; p < SIZE * SIZE; p++) {
      const top = p < (SIZE * SIZE) / 2;
      pixels[i * SIZE * SIZE + p] = (top === (label === 0) ? 0.7 : 0.2) + 0.2 * rng.next();
    }
  }
  return {
    x: tf.tensor4d(pixels, [count, SIZE, SIZE, 1]),
    y: tf.tidy(() => tf.cast(tf.oneHot(labels, CLASSES), 'float32')) as tf.Tensor2D,
  };
}

/** The context the trainer would hand an augmenter at `step`. */
export function contextFor(model: Model, seed = 0, step = 0): StepContext {
  return { model, rng: new Rng(seed).child(`step-${step}`), step, epoch: 0 };
}

/** A data source of `batches` toy batches per epoch, in a fixed order. */
export function toyData(batches: number, batchSize: number) {
  return {
    batchesPerEpoch: batches,
    *batches() {
      for (let b = 0; b < batches; b++) yield toyBatch(batchSize, 100 + b);
    },
  };
}
