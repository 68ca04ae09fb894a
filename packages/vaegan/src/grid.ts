/** A picture of what a VAE-GAN learned: images, their reconstructions and samples, as one PNG. */
import * as tf from '@tensorflow/tfjs-core';
import { type Rng, imageGridPng } from '@perturb/core';
import type { VaeGan } from './vaegan';

/**
 * Three rows of as many images as `images` holds: the images, their reconstructions, and
 * decodes of as many codes drawn from the prior N(0, I) with `rng`, as one PNG grid. It is what
 * `trainVaeGan` writes after every epoch; pass a model loaded with `loadVaeGan` to see a
 * finished one on images of your choice (of its class, for a class-specific model).
 */
export function vaeGanGridPng(model: VaeGan, images: tf.Tensor4D, rng: Rng): Uint8Array {
  const rows = tf.tidy(() => {
    const codes = rng.normalTensor([images.shape[0], model.latentSize]) as tf.Tensor2D;
    return tf.concat([images, model.reconstruct(images), model.decode(codes)]) as tf.Tensor4D;
  });
  try {
    return imageGridPng(rows, { cols: images.shape[0] });
  } finally {
    rows.dispose();
  }
}
