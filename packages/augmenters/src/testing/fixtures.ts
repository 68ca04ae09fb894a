/** Batches and step contexts for this package's tests. */
import * as tf from '@tensorflow/tfjs-core';
import { Rng, type Batch, type Classifier, type StepContext } from '@perturb/core';

/** A batch of `n` uniform random images of `size`×`size`×`channels` with one-hot labels. */
export function randomBatch(seed: number, n = 8, size = 8, channels = 3, numClasses = 10): Batch {
  const rng = new Rng(seed);
  const classes = Array.from({ length: n }, () => rng.int(numClasses));
  return {
    x: rng.uniformTensor([n, size, size, channels]) as tf.Tensor4D,
    y: tf.cast(tf.oneHot(tf.tensor1d(classes, 'int32'), numClasses), 'float32') as tf.Tensor2D,
  };
}

/** A step context whose stream is seeded by `seed`. */
export function contextFor(model: Classifier, seed: number): StepContext {
  return { model, rng: new Rng(seed), step: 0, epoch: 0 };
}

/** The values of a tensor as a flat array of numbers. */
export function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}
