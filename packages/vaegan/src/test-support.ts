/** Tiny models and data for this package's tests. */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@perturb/core';
import type { Dataset } from '@perturb/datasets';
import { VaeGan } from './vaegan';

/** 8×8×1 images: a bright row band whose position is the class (0: top, 1: bottom), plus noise. */
export function bandDataset(perClass = 6, numClasses = 2, seed = 0): Dataset {
  const rng = new Rng(seed);
  const count = perClass * numClasses;
  const images = new Uint8Array(count * 64);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = i % numClasses;
    labels[i] = label;
    const band = Math.floor((label * 8) / numClasses);
    for (let p = 0; p < 64; p++) {
      const row = Math.floor(p / 8);
      images[i * 64 + p] = (row >= band && row < band + 8 / numClasses ? 200 : 20) + rng.int(40);
    }
  }
  return {
    name: 'bands',
    images,
    labels,
    shape: { height: 8, width: 8, channels: 1 },
    numClasses,
    classNames: Array.from({ length: numClasses }, (_, k) => `band${k}`),
  };
}

/** A VaeGan for 8×8×1 images with latent size 4 and widths [4, 8]. */
export function tinyVaeGan(seed = 0): VaeGan {
  return new VaeGan({ imageShape: [8, 8, 1], latentSize: 4, widths: [4, 8], rng: new Rng(seed) });
}

/** One-hot labels for `classes`. */
export function oneHot(classes: number[], numClasses = 2): tf.Tensor2D {
  return tf.tidy(
    () => tf.cast(tf.oneHot(tf.tensor1d(classes, 'int32'), numClasses), 'float32') as tf.Tensor2D,
  );
}

/** The values of a tensor as a flat array. */
export function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}
