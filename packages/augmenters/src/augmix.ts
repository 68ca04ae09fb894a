import * as tf from '@tensorflow/tfjs-core';
import {
  type Augmenter,
  type Batch,
  type Rng,
  asClassifier,
  defineAugmenter,
  parseOptions,
  z,
} from '@perturb/core';
import { augMixImage } from './auto/augmix-chain';
import { mapSamples } from './auto/run';
import { augmenterOptions } from './options';

/** The options of {@link augMix}, checked. */
export const augMixOptions = augmenterOptions.extend({
  /** Highest operation level, 1–10. Default 3, as the AugMix code. */
  severity: z.number().min(1).max(10).default(3),
  /** Chains mixed per image. Default 3. */
  width: z.int().min(1).default(3),
  /** Operations per chain; omitted, each chain draws 1–3. */
  depth: z.int().min(1).optional(),
  /** Dirichlet and Beta concentration. Default 1. */
  alpha: z.number().gt(0).default(1),
  /** Add color, contrast, brightness and sharpness (the code's `--all-ops`). Default false. */
  allOps: z.boolean().default(false),
  /**
   * Weight λ of the Jensen–Shannon consistency loss. Default 12, as the paper. Above 0 the
   * images stay clean and the loss stage adds λ·JS over the clean image and two AugMix views;
   * 0 replaces each image by one AugMix view instead (no loss stage).
   */
  jsdWeight: z.number().min(0).default(12),
});

/** Options of {@link augMix}. */
export type AugMixOptions = z.input<typeof augMixOptions>;

/**
 * Jensen–Shannon divergence of the class distributions given by each logits tensor, averaged
 * over the batch: mean over views of KL(p_view ‖ M), M the views' mean clamped to [1e-7, 1], as
 * the AugMix code's `F.kl_div(log M, p, reduction='batchmean')`.
 */
export function jensenShannon(logits: readonly tf.Tensor2D[]): tf.Scalar {
  return tf.tidy(() => {
    const logProbs = logits.map((l) => tf.logSoftmax(l));
    const probs = logProbs.map((l) => tf.exp(l));
    const logMean = tf.log(tf.clipByValue(tf.div(tf.addN(probs), probs.length), 1e-7, 1));
    const kls = probs.map((p, i) => tf.sum(tf.mul(p, tf.sub(logProbs[i], logMean))));
    return tf.div(tf.addN(kls), logits.length * logits[0].shape[0]) as tf.Scalar;
  });
}

/**
 * AugMix (Hendrycks et al. 2020): each image becomes a Dirichlet-weighted mixture of chains of
 * AugMix's operations, blended with the original; with `jsdWeight` > 0, the clean images train
 * with cross-entropy and two AugMix views only enter the Jensen–Shannon consistency term.
 */
export function augMix(options: AugMixOptions = {}): Augmenter {
  const { jsdWeight, name = 'augMix', ...rest } = parseOptions(augMixOptions, options, 'augMix options');
  // AugMix's code samples geometric ops bilinearly (PIL's BILINEAR) with black fill.
  const settings = { ...rest, sampling: { interpolation: 'bilinear', fill: 0 } } as const;
  const view = (batch: Batch, rng: Rng) => mapSamples(batch, (image) => augMixImage(image, rng, settings)).x;
  if (jsdWeight === 0) return { name, transform: (batch, ctx) => ({ x: view(batch, ctx.rng), y: batch.y }) };
  return {
    name,
    losses(batch, ctx) {
      const views = [view(batch, ctx.rng), view(batch, ctx.rng)];
      return {
        terms: () => [
          {
            name: 'augMix:jsd',
            weight: jsdWeight,
            value: () =>
              jensenShannon(
                [batch.x, ...views].map((x) => asClassifier(ctx.model, name).logits(x, { training: true })),
              ),
          },
        ],
      };
    },
  };
}

defineAugmenter({
  name: 'augMix',
  summary:
    'mixtures of random operation chains with a Jensen–Shannon consistency loss (AugMix, Hendrycks et al. 2020)',
  schema: augMixOptions,
  create: (options) => augMix(options),
});
