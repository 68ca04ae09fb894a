/** What the three policy augmenters share: their sampling options and the per-sample host loop. */
import * as tf from '@tensorflow/tfjs-core';
import { type Batch, z } from '@perturb/core';
import { augmenterOptions } from '../options';
import type { Image } from './image';

/** The options of every policy augmenter: how its geometric operations sample. */
export const policyOptions = augmenterOptions.extend({
  /** Sampling of rotations, shears and translations: `'nearest'` (torchvision's default) or `'bilinear'`. */
  interpolation: z.enum(['nearest', 'bilinear']).default('nearest'),
  /** Value of the pixels a geometric operation uncovers. Default 0. */
  fill: z.number().min(0).max(1).default(0),
});

/**
 * The batch with `f` applied to each sample's image, in sample order (so draws from a stream
 * inside `f` are made sample by sample). Labels are unchanged.
 */
export function mapSamples(batch: Batch, f: (image: Image) => Image): Batch {
  const [n, height, width, channels] = batch.x.shape;
  const data = Float32Array.from(batch.x.dataSync());
  const size = height * width * channels;
  const out = new Float32Array(data.length);
  for (let i = 0; i < n; i++) {
    const image = { data: data.subarray(i * size, (i + 1) * size), height, width, channels };
    out.set(f(image).data, i * size);
  }
  return { x: tf.tensor4d(out, batch.x.shape), y: batch.y };
}
