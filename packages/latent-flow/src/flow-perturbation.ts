/**
 * What LA-Glow's two augmenters share: encode a batch with the frozen flow (with the image's
 * label as the condition of a conditional flow), perturb its latents, decode, clamp to [0, 1],
 * and keep the perturbed image for a `ratio` of the samples; and, in configs, the flow named by
 * the path of its checkpoint.
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
import { type DecodeRange, type Glow, type LatentSpace, glowFromCheckpoint } from '@perturb/flows';

/** How the augmenter reads and writes the flow's latents for one batch. */
export interface LatentView {
  /** The batch's condition, for a conditional flow. */
  condition?: tf.Tensor2D;
  /** Whether δ is added to standardized or raw latents. */
  latents: LatentSpace;
  /** What the flow decodes to (see `DecodeRange`). */
  range: DecodeRange;
}

/** A perturbation of a batch's latents: returns δ, one tensor per latent level. */
export type LatentPerturbation = (
  latents: tf.Tensor4D[],
  batch: Batch,
  ctx: StepContext,
  view: LatentView,
) => tf.Tensor4D[];

/**
 * F⁻¹(z + δ), not clamped: what the attack differentiates (a clamp inside the gradient path
 * would zero the gradient of every pixel it saturates).
 */
export function decodeShifted(
  flow: Glow,
  latents: readonly tf.Tensor4D[],
  deltas: readonly tf.Tensor4D[],
  view: LatentView,
): tf.Tensor4D {
  return tf.tidy(() =>
    flow.decode(
      latents.map((z, i) => tf.add(z, deltas[i])),
      { condition: view.condition, latents: view.latents, range: view.range },
    ),
  );
}

/** x' = clamp(F⁻¹(z + δ), 0, 1): the augmented images. */
export function decodePerturbed(
  flow: Glow,
  latents: readonly tf.Tensor4D[],
  deltas: readonly tf.Tensor4D[],
  view: LatentView,
): tf.Tensor4D {
  return tf.tidy(() => tf.clipByValue(decodeShifted(flow, latents, deltas, view), 0, 1) as tf.Tensor4D);
}

/**
 * The condition of a conditional flow for a batch: the one-hot of each sample's most likely
 * class (argmax of y). A flow trained on one-hot labels has only seen one-hot conditions, so a
 * soft y (after mixup or label smoothing) would put it off its training distribution; the
 * argmax is the class the image mostly shows.
 */
export function batchCondition(flow: Glow, y: tf.Tensor2D): tf.Tensor2D | undefined {
  const width = flow.conditionWidth;
  if (width === 0) return undefined;
  if (y.shape[1] !== width) {
    throw new PerturbError(
      `the flow is conditioned on ${width} classes but the batch's labels have ${y.shape[1]}`,
      'use a flow trained on the same dataset as the classifier (its conditionSize is the number of classes)',
    );
  }
  return tf.tidy(() => tf.oneHot(tf.argMax(y, 1), width) as tf.Tensor2D);
}

/** Options both augmenters take besides their perturbation's. */
export const latentAugmenterFields = {
  /** Probability that a sample is replaced by its perturbation. */
  ratio: z.number().min(0).max(1).default(1),
  /**
   * `'standardized'`: δ is added to each level's latent whitened by its prior (N(0, I) under the
   * model), the space flow-lp's ε values assume; `'raw'`: to the flow's raw outputs, which a
   * learned prior may scale differently at every level.
   */
  latents: z
    .enum(['standardized', 'raw'])
    .default('standardized')
    .describe("Where δ is added: standardized latents (flow-lp's ε) or raw ones"),
  /**
   * `'image'`: the exact inverse of the flow's data space; `'bounded'`: flow-lp's decode, σ(h) =
   * 0.05 + 0.9·x in its logit space (the same as `'image'` in the centered space).
   */
  decode: z
    .enum(['image', 'bounded'])
    .default('image')
    .describe("The decoded range: exact images, or flow-lp's 0.05 + 0.9·x"),
  /** Encode the dequantized images (uniform noise within each 8-bit bin), as flow-lp's encoder does. */
  dequantize: z.boolean().default(false).describe('Dequantize the images before encoding, as flow-lp'),
};

/** The shared settings, as parsed. */
type LatentAugmenterSettings = {
  ratio: number;
  latents: LatentSpace;
  decode: DecodeRange;
  dequantize: boolean;
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
  settings: LatentAugmenterSettings,
  perturb: LatentPerturbation,
): Augmenter {
  const perturbAll: Augmenter = {
    name,
    transform(batch, ctx) {
      const condition = batchCondition(flow, batch.y);
      const view: LatentView = { condition, latents: settings.latents, range: settings.decode };
      const { latents, logdet } = flow.encode(batch.x, {
        condition,
        latents: settings.latents,
        dequantize: settings.dequantize ? ctx.rng.child('dequantize') : undefined,
      });
      const deltas = perturb(latents, batch, ctx, view);
      const x = decodePerturbed(flow, latents, deltas, view);
      tf.dispose([...latents, ...deltas, logdet, condition ?? []]);
      return { x, y: batch.y };
    },
  };
  return settings.ratio === 1 ? perturbAll : mixClean(perturbAll, settings.ratio, { name });
}
