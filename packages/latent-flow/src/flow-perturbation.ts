/**
 * What LA-Glow's two augmenters share: encode a batch with the frozen flow, perturb its
 * latents, decode, clamp to [0, 1], and keep the perturbed image for a `ratio` of the samples.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mixClean } from '@perturb/augmenters';
import { type Augmenter, type Batch, type StepContext, check } from '@perturb/core';
import type { Glow } from '@perturb/flows';

/** A perturbation of a batch's latents: returns δ, one tensor per latent level. */
export type LatentPerturbation = (latents: tf.Tensor4D[], batch: Batch, ctx: StepContext) => tf.Tensor4D[];

/** x' = clamp(F⁻¹(z + δ), 0, 1). */
export function decodePerturbed(
  flow: Glow,
  latents: readonly tf.Tensor4D[],
  deltas: readonly tf.Tensor4D[],
): tf.Tensor4D {
  return tf.tidy(
    () => tf.clipByValue(flow.decode(latents.map((z, i) => tf.add(z, deltas[i]))), 0, 1) as tf.Tensor4D,
  );
}

/**
 * An augmenter that replaces each sample, with probability `ratio`, by its latent perturbation.
 * The flow is never trained here: its variables are only read.
 */
export function latentAugmenter(
  name: string,
  flow: Glow,
  ratio: number,
  perturb: LatentPerturbation,
): Augmenter {
  check(
    ratio >= 0 && ratio <= 1,
    `${name} ratio is ${ratio}, not a probability`,
    'pass a ratio between 0 and 1',
  );
  const perturbAll: Augmenter = {
    name,
    transform(batch, ctx) {
      const { latents } = flow.encode(batch.x);
      const deltas = perturb(latents, batch, ctx);
      return { x: decodePerturbed(flow, latents, deltas), y: batch.y };
    },
  };
  return ratio === 1 ? perturbAll : mixClean(perturbAll, ratio, { name });
}
