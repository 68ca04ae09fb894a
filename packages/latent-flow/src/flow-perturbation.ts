/**
 * What LA-Glow's two augmenters share: encode a batch with the frozen flow, perturb its
 * latents, decode, clamp to [0, 1], and keep the perturbed image for a `ratio` of the samples;
 * and, in configs, the flow named by the path of its checkpoint.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mixClean } from '@perturb/augmenters';
import {
  type Augmenter,
  type Batch,
  type BuildEnvironment,
  PerturbError,
  type StepContext,
  z,
} from '@perturb/core';
import { type Glow, glowFromCheckpoint } from '@perturb/flows';

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

/** Options both augmenters take besides their perturbation's. */
export const latentAugmenterFields = {
  /** Probability that a sample is replaced by its perturbation. */
  ratio: z.number().min(0).max(1).default(1),
};

/** In a config, the flow is the path of a `perturb train-flow` checkpoint. */
export const flowPathField = z.string().min(1).describe('the path of a perturb train-flow checkpoint');

/** The flow saved at `path`, frozen in eval mode, loaded once per build environment. */
export function sharedFlow(env: BuildEnvironment, path: string): Glow {
  return env.shared(
    path,
    () => glowFromCheckpoint(checkpointBytes(env, path), path).eval(),
    (flow) => flow.dispose(),
  );
}

/** The bytes of the checkpoint at `path`, read through the build environment. */
function checkpointBytes(env: BuildEnvironment, path: string): Uint8Array {
  if (!env.readFile) {
    throw new PerturbError(
      `cannot load the flow ${path}: this build environment reads no files`,
      'give the environment a readFile (the cli has one), or build the augmenter with a loaded Glow',
    );
  }
  const bytes = env.readFile(path);
  if (!bytes) {
    throw new PerturbError(`checkpoint ${path} does not exist`, 'check the path, or train the flow first');
  }
  return bytes;
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
