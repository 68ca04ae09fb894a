import * as tf from '@tensorflow/tfjs-core';
import type { Augmenter, PgdOptions } from '@perturb/core';
import { PerturbError, ascentDirection, crossEntropy, predictedLabels, projectToBall } from '@perturb/core';
import { type AugmenterOptions, checkChoice, checkInteger, checkNonNegative } from './options';

/** Options of {@link pixelPgd}: the PGD options, in pixel space. */
export interface PixelPgdOptions extends AugmenterOptions, PgdOptions {}

/** Named settings from the papers. */
export const PIXEL_PGD_PRESETS = {
  /** The pixel-space baseline of LA-Glow (Yüksel et al. 2021, flow-lp `pert/pgd.yaml`): L∞, ε = α = 0.05, one step, random start. */
  'la-glow-baseline': {
    norm: 'linf',
    epsilon: 0.05,
    stepSize: 0.05,
    steps: 1,
    randomStart: true,
    labels: 'predicted',
    bnMode: 'train',
  },
} as const satisfies Record<string, PixelPgdOptions>;

/** The name of an entry of {@link PIXEL_PGD_PRESETS}. */
export type PixelPgdPreset = keyof typeof PIXEL_PGD_PRESETS;

/**
 * Projected gradient ascent on the cross-entropy of `ctx.model`, in pixel space: each step
 * moves x' by α along sign(∇) (L∞) or ∇/‖∇‖₂ per sample (L2), projects x' − x back into the
 * ε-ball and clamps x' to [0, 1]. Gradients are taken over the input only (`tf.grad`); the
 * model's parameters are never changed. Labels of the batch are returned unchanged.
 * Call it outside any gradient scope, as the trainer does.
 *
 * @param options the options, or the name of a preset (see {@link PIXEL_PGD_PRESETS}).
 */
export function pixelPgd(options: PixelPgdOptions | PixelPgdPreset = {}): Augmenter {
  const settings = typeof options === 'string' ? presetOptions(options) : options;
  const {
    norm = 'linf',
    epsilon = 0.05,
    stepSize = 0.05,
    steps = 1,
    randomStart = true,
    labels = 'predicted',
    bnMode = 'train',
    name = 'pixelPgd',
  } = settings;
  checkChoice(norm, ['linf', 'l2'], 'pixelPgd norm');
  checkChoice(labels, ['predicted', 'true'], 'pixelPgd labels');
  checkChoice(bnMode, ['train', 'eval'], 'pixelPgd bnMode');
  checkNonNegative(epsilon, 'pixelPgd epsilon');
  checkNonNegative(stepSize, 'pixelPgd stepSize');
  checkInteger(steps, 'pixelPgd steps', 0);
  const training = bnMode === 'train';
  return {
    name,
    transform(batch, ctx) {
      const { x } = batch;
      const target = labels === 'true' ? batch.y : predictedLabels(ctx.model, x, training);
      const gradientAt = tf.grad((input) =>
        crossEntropy(ctx.model.logits(input as tf.Tensor4D, { training }), target),
      );
      const lossGradient = (input: tf.Tensor4D) => gradientAt(input) as tf.Tensor4D;
      let adversarial = tf.tidy(() => {
        const start = randomStart
          ? projectToBall([ctx.rng.uniformTensor(x.shape, -epsilon, epsilon)], norm, epsilon)[0]
          : tf.zerosLike(x);
        return tf.clipByValue(tf.add(x, start), 0, 1) as tf.Tensor4D;
      });
      for (let step = 0; step < steps; step++) {
        const previous = adversarial;
        // One tidy per step keeps a long attack's memory flat, whatever scope the caller runs in.
        adversarial = tf.tidy(() => {
          const moved = tf.add(
            previous,
            tf.mul(ascentDirection([lossGradient(previous)], norm)[0], stepSize),
          );
          const [delta] = projectToBall([tf.sub(moved, x)], norm, epsilon);
          return tf.clipByValue(tf.add(x, delta), 0, 1) as tf.Tensor4D;
        });
        previous.dispose();
      }
      return { x: adversarial, y: batch.y };
    },
  };
}

function presetOptions(preset: string): PixelPgdOptions {
  if (!(preset in PIXEL_PGD_PRESETS)) {
    throw new PerturbError(
      `"${preset}" is not a pixelPgd preset`,
      `use one of ${Object.keys(PIXEL_PGD_PRESETS).join(', ')}, or pass an options object`,
    );
  }
  return PIXEL_PGD_PRESETS[preset as PixelPgdPreset];
}
