/**
 * One VAE-GAN training step, Larsen et al.'s three-player split: the encoder minimizes
 * recon + β·KL, the decoder γ·recon plus fooling the discriminator on reconstructions and prior
 * samples, and the discriminator tells real images from both. Every gradient is taken at the
 * same parameters before any optimizer moves them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PerturbError, type Rng } from '@perturb/core';
import { createOptimizer, type Optimizer } from '@perturb/optim';
import { ganLoss, klDivergence, reconstructionError } from './losses';
import type { VaeGan } from './vaegan';

/** The parameter groups of a `VaeGan`, each with its own optimizer. */
export const PARAMETER_GROUPS = ['encoder', 'decoder', 'discriminator'] as const;
/** One of {@link PARAMETER_GROUPS}: the encoder, the decoder or the discriminator. */
export type ParameterGroup = (typeof PARAMETER_GROUPS)[number];

/** One Adam optimizer per parameter group. */
export type VaeGanOptimizers = Record<ParameterGroup, Optimizer>;

/** Adam (β₁ 0.9, β₂ 0.999) over each parameter group of `model`. */
export function createVaeGanOptimizers(model: VaeGan): VaeGanOptimizers {
  return Object.fromEntries(
    PARAMETER_GROUPS.map((group) => [
      group,
      createOptimizer({ name: 'adam' }, model[group].namedParameters()),
    ]),
  ) as VaeGanOptimizers;
}

/** The losses of one step, before the update. (A type alias, so tf.tidy can return it.) */
export type VaeGanLosses = {
  /** Σ_pixels (x − x̃)², mean over the batch. */
  reconstruction: number;
  /** KL(q(z|x) ‖ N(0, I)), mean over the batch. */
  kl: number;
  /** The encoder's loss: reconstruction + β·KL. */
  vae: number;
  /** The decoder's loss: γ·reconstruction + BCE(D(x̃), real) + BCE(D(decode(z_p)), real). */
  generator: number;
  /** The discriminator's loss: BCE(D(x), real) + BCE(D(x̃), fake) + BCE(D(decode(z_p)), fake). */
  discriminator: number;
};

/**
 * Takes one step on the images `x` (NHWC in [0, 1]) with learning rate `lr`, drawing the
 * reparameterization noise and the prior codes from `rng`. Throws a `PerturbError`, before
 * changing anything, if a loss is not finite.
 */
export function vaeGanStep(
  model: VaeGan,
  optimizers: VaeGanOptimizers,
  x: tf.Tensor4D,
  rng: Rng,
  lr: number,
): VaeGanLosses {
  const { beta, gamma, latentSize } = model.config;
  return tf.tidy(() => {
    const n = x.shape[0];
    const noise = rng.normalTensor([n, latentSize]);
    const priorCodes = rng.normalTensor([n, latentSize]) as tf.Tensor2D;
    const forward = () => {
      const { mean, logVar } = model.encode(x);
      const z = tf.add(mean, tf.mul(tf.exp(tf.mul(logVar, 0.5)), noise)) as tf.Tensor2D;
      const reconstruction = model.decode(z);
      return { mean, logVar, reconstruction, samples: model.decode(priorCodes) };
    };
    let reconstruction!: tf.Scalar;
    let kl!: tf.Scalar;
    const vae = tf.variableGrads(() => {
      const f = forward();
      reconstruction = tf.keep(reconstructionError(x, f.reconstruction));
      kl = tf.keep(klDivergence(f.mean, f.logVar));
      return tf.add(reconstruction, tf.mul(kl, beta));
    }, model.encoder.parameters());
    const generator = tf.variableGrads(() => {
      const f = forward();
      const fooling = tf.add(
        ganLoss(model.discriminate(f.reconstruction), 'real'),
        ganLoss(model.discriminate(f.samples), 'real'),
      );
      return tf.add(tf.mul(reconstructionError(x, f.reconstruction), gamma), fooling);
    }, model.decoder.parameters());
    const { reconstruction: fakes, samples } = forward();
    const discriminator = tf.variableGrads(
      () =>
        tf.addN([
          ganLoss(model.discriminate(x), 'real'),
          ganLoss(model.discriminate(fakes), 'fake'),
          ganLoss(model.discriminate(samples), 'fake'),
        ]) as tf.Scalar,
      model.discriminator.parameters(),
    );
    const losses: VaeGanLosses = {
      reconstruction: takeValue(reconstruction),
      kl: takeValue(kl),
      vae: vae.value.dataSync()[0],
      generator: generator.value.dataSync()[0],
      discriminator: discriminator.value.dataSync()[0],
    };
    const bad = Object.entries(losses).find(([, v]) => !Number.isFinite(v));
    if (bad) {
      throw new PerturbError(
        `the VAE-GAN ${bad[0]} loss became ${bad[1]}`,
        'lower the learning rate, or check the images for NaN and that they are in [0, 1]',
      );
    }
    optimizers.encoder.step(vae.grads, { lr });
    optimizers.decoder.step(generator.grads, { lr });
    optimizers.discriminator.step(discriminator.grads, { lr });
    return losses;
  });
}

/** The value of a scalar kept out of a gradient scope (`tf.keep`), which no tidy would free. */
function takeValue(kept: tf.Scalar): number {
  const value = kept.dataSync()[0];
  kept.dispose();
  return value;
}
