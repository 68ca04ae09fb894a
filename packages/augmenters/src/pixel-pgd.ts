import * as tf from '@tensorflow/tfjs-core';
import type { Augmenter, Classifier } from '@perturb/core';
import { PerturbError } from '@perturb/core';
import { type AugmenterOptions, checkChoice, checkInteger, checkNonNegative } from './options';

/** Options of {@link pixelPgd}. */
export interface PixelPgdOptions extends AugmenterOptions {
  /** Threat model: `'linf'` (sign steps, box projection) or `'l2'` (per-sample unit-norm steps, ball projection). Default `'linf'`. */
  norm?: 'linf' | 'l2';
  /** Radius of the perturbation ball around each image. Default 0.05. */
  epsilon?: number;
  /** Step size α. Default 0.05. */
  stepSize?: number;
  /** Number of gradient steps. Default 1. */
  steps?: number;
  /** Start from δ ~ U(−ε, ε) (rescaled into the ball for L2) instead of δ = 0. Default true. */
  randomStart?: boolean;
  /**
   * Labels the attack maximizes cross-entropy against: the classifier's own argmax predictions
   * (avoids label leaking, as LA-Glow does) or the batch's labels. Default `'predicted'`.
   */
  labels?: 'predicted' | 'true';
  /**
   * Mode of the classifier's forward passes during the attack, the label prediction included.
   * `'train'` (what the LA-Glow code does) uses batch statistics and so also moves BatchNorm
   * running statistics, once per pass; `'eval'` uses the running statistics and leaves them
   * untouched. Default `'train'`.
   */
  bnMode?: 'train' | 'eval';
}

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
  const ball = norm === 'l2' ? L2_BALL : LINF_BALL;
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
          ? ball.project(ctx.rng.uniformTensor(x.shape, -epsilon, epsilon), epsilon)
          : tf.zerosLike(x);
        return tf.clipByValue(tf.add(x, start), 0, 1) as tf.Tensor4D;
      });
      for (let step = 0; step < steps; step++) {
        const previous = adversarial;
        // One tidy per step keeps a long attack's memory flat, whatever scope the caller runs in.
        adversarial = tf.tidy(() => {
          const moved = tf.add(previous, tf.mul(ball.direction(lossGradient(previous)), stepSize));
          const delta = ball.project(tf.sub(moved, x), epsilon);
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

/** One-hot labels of the classifier's own predictions. */
function predictedLabels(model: Classifier, x: tf.Tensor4D, training: boolean): tf.Tensor2D {
  return tf.tidy(() => {
    const logits = model.logits(x, { training });
    return tf.cast(tf.oneHot(tf.argMax(logits, 1), logits.shape[1]), 'float32') as tf.Tensor2D;
  });
}

/** Mean cross-entropy against label distributions (one-hot or soft). */
function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor2D): tf.Scalar {
  return tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), 1))) as tf.Scalar;
}

/** The geometry of a threat model: the ascent direction of a gradient and the projection onto the ε-ball. */
interface Ball {
  direction(gradient: tf.Tensor4D): tf.Tensor4D;
  project(delta: tf.Tensor, epsilon: number): tf.Tensor4D;
}

const LINF_BALL: Ball = {
  direction: (gradient) => tf.sign(gradient),
  project: (delta, epsilon) => tf.clipByValue(delta, -epsilon, epsilon) as tf.Tensor4D,
};

/** Below this norm a vector counts as zero, so normalizing it gives zero instead of NaN. */
const TINY_NORM = 1e-12;

const L2_BALL: Ball = {
  direction: (gradient) => tf.div(gradient, tf.maximum(sampleNorms(gradient), TINY_NORM)),
  project: (delta, epsilon) =>
    tf.mul(delta, tf.minimum(1, tf.div(epsilon, tf.maximum(sampleNorms(delta), TINY_NORM)))) as tf.Tensor4D,
};

/** The L2 norm of every sample, shaped [N, 1, 1, 1] to broadcast against it. */
function sampleNorms(t: tf.Tensor): tf.Tensor4D {
  return tf.reshape(tf.norm(tf.reshape(t, [t.shape[0], -1]), 2, 1), [t.shape[0], 1, 1, 1]);
}
