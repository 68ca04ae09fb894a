/**
 * The noise a flow is trained on: Glow's uniform dequantization, whose loss bounds the discrete
 * images' bits/dim, or flow-lp's notebook recipe, Gaussian noise clamped to the pixel range.
 */
import * as tf from '@tensorflow/tfjs-core';
import { parseOptions, z } from '@perturb/core';
import type { Rng } from '@perturb/core';
import { dequantize } from './dequantize';

/** `noise` of a flow's training: `{ kind: 'uniform' }` (the default) or `{ kind: 'gaussian', std }`. */
export const trainingNoiseSchema = z
  .discriminatedUnion('kind', [
    /** Uniform dequantization within each pixel's bin (see `dequantize`). */
    z.strictObject({ kind: z.literal('uniform') }),
    /** x̃ = clamp(x + std·ε, 0, 1) with ε ~ N(0, 1), flow-lp's notebook with std 0.1. */
    z.strictObject({
      kind: z.literal('gaussian'),
      std: z.number().positive().describe('standard deviation of the noise, in pixel units of [0, 1]'),
    }),
  ])
  .describe(
    "Training noise on pixels in [0, 1]: uniform dequantization, or flow-lp's notebook's Gaussian noise clamped to [0, 1]",
  );

/** The noise a flow is trained on; see {@link trainingNoiseSchema}. */
export type TrainingNoise = z.output<typeof trainingNoiseSchema>;

/** The default: uniform dequantization, whose training loss is a bound on bits/dim. */
export const UNIFORM_NOISE: TrainingNoise = { kind: 'uniform' };

/** `raw` validated as `trainFlow`'s `noise`, or a one-line `PerturbError` naming the bad field (e.g. `noise.std`). */
export function parseTrainingNoise(raw: unknown): TrainingNoise {
  return parseOptions(z.object({ noise: trainingNoiseSchema }), { noise: raw }, "trainFlow's options").noise;
}

/** Options of `addTrainingNoise`. */
export interface TrainingNoiseOptions {
  /** Bits per channel of uniform dequantization (Gaussian noise ignores it). Default 8. */
  nBits?: number;
  /** Draws the noise; without it uniform dequantization takes bin centers and Gaussian noise adds nothing. */
  rng?: Rng;
}

/**
 * Images x ∈ [0, 1] → the noised images x̃ the flow's loss is computed on. The noise is added to
 * the pixels, before the Glow maps them to its data space (x − 0.5 or the bounded logit), as
 * flow-lp's notebook adds it to the `ToTensor` images the flow takes.
 */
export function addTrainingNoise(
  x: tf.Tensor4D,
  noise: TrainingNoise,
  options: TrainingNoiseOptions = {},
): tf.Tensor4D {
  if (noise.kind === 'uniform') return dequantize(x, options);
  const { rng } = options;
  if (rng === undefined) return tf.clone(x);
  // The notebook's `x += noise * normal_(); x = clamp(x, 0, 1)`.
  return tf.tidy(
    () => tf.clipByValue(tf.add(x, rng.normalTensor(x.shape, 0, noise.std)), 0, 1) as tf.Tensor4D,
  );
}
