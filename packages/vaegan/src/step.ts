/**
 * One VAE-GAN training step as Stutz et al.'s official `train_vae_gan2.py` takes it: with
 * x̃ = decode(μ + σ·ε), the encoder minimizes KL + β·recon + γ·fool, the decoder β·recon + γ·fool
 * (fool = −log σ(D(x̃))), and the discriminator γ·(−log σ(D(x)) − log(1 − σ(D(x̃)))). The
 * encoder thus also gets the GAN gradient through the decoder. Every gradient is taken at the
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

/**
 * Adam (β₁ 0.9, β₂ 0.999) over each parameter group of `model`, with coupled L2 weight decay
 * `weightDecay` (default 0) as PyTorch's `weight_decay`.
 */
export function createVaeGanOptimizers(model: VaeGan, weightDecay = 0): VaeGanOptimizers {
  return Object.fromEntries(
    PARAMETER_GROUPS.map((group) => [
      group,
      createOptimizer({ name: 'adam', weightDecay }, model[group].namedParameters()),
    ]),
  ) as VaeGanOptimizers;
}

/** The losses of one step, before the update, each a mean over the batch. (A type alias, so tf.tidy can return it.) */
export type VaeGanLosses = {
  /** Σ_pixels |x − x̃| (or (x − x̃)² with `reconstruction: 'squared'`). */
  reconstruction: number;
  /** KL(q(z|x) ‖ N(0, I)). */
  kl: number;
  /** The decoder's fooling term −log σ(D(x̃)). */
  fool: number;
  /** The encoder's loss: KL + β·reconstruction + γ·fool. */
  vae: number;
  /** The decoder's loss: β·reconstruction + γ·fool. */
  generator: number;
  /** The discriminator's loss: γ·(−log σ(D(x)) − log(1 − σ(D(x̃)))). */
  discriminator: number;
};

/**
 * Takes one step on the images `x` (NHWC in [0, 1]) with learning rate `lr`, drawing the
 * reparameterization noise from `rng`. Throws a `PerturbError`, before changing anything, if a
 * loss is not finite.
 */
export function vaeGanStep(
  model: VaeGan,
  optimizers: VaeGanOptimizers,
  x: tf.Tensor4D,
  rng: Rng,
  lr: number,
): VaeGanLosses {
  const { beta, gamma, latentSize, reconstruction: kind } = model.config;
  return tf.tidy(() => {
    const n = x.shape[0];
    const noise = rng.normalTensor([n, latentSize]);
    // BatchNorm's running statistics move in the forward passes; a bad step puts them back.
    const buffersBefore = model.namedBuffers().map(([, v]) => [v, tf.clone(v)] as const);
    let reconstruction!: tf.Scalar;
    let kl!: tf.Scalar;
    let fool!: tf.Scalar;
    let fakes!: tf.Tensor4D;
    // The encoder's loss is the decoder's plus the KL term, which does not depend on the
    // decoder: one gradient of it serves both groups, each getting exactly its own loss's.
    const generatorSide = tf.variableGrads(() => {
      const { mean, logVar } = model.encode(x);
      const z = tf.add(mean, tf.mul(tf.exp(tf.mul(logVar, 0.5)), noise)) as tf.Tensor2D;
      const decoded = model.decode(z);
      fakes = tf.keep(decoded);
      reconstruction = tf.keep(reconstructionError(x, decoded, kind));
      kl = tf.keep(klDivergence(mean, logVar));
      fool = tf.keep(ganLoss(model.discriminate(decoded), 'real'));
      return batchTotal(tf.addN([kl, tf.mul(reconstruction, beta), tf.mul(fool, gamma)]) as tf.Scalar, n);
    }, [...model.encoder.parameters(), ...model.decoder.parameters()]);
    const discriminator = tf.variableGrads(
      () =>
        batchTotal(
          tf.mul(
            tf.add(ganLoss(model.discriminate(x), 'real'), ganLoss(model.discriminate(fakes), 'fake')),
            gamma,
          ),
          n,
        ),
      model.discriminator.parameters(),
    );
    fakes.dispose();
    const [r, k, f] = [takeValue(reconstruction), takeValue(kl), takeValue(fool)];
    const losses: VaeGanLosses = {
      reconstruction: r,
      kl: k,
      fool: f,
      vae: k + beta * r + gamma * f,
      generator: beta * r + gamma * f,
      discriminator: discriminator.value.dataSync()[0] / n,
    };
    const bad = Object.entries(losses).find(([, v]) => !Number.isFinite(v));
    if (bad) {
      for (const [variable, before] of buffersBefore) variable.assign(before);
      throw new PerturbError(
        `the VAE-GAN ${bad[0]} loss became ${bad[1]}`,
        'lower the learning rate, or check the images for NaN and that they are in [0, 1]',
      );
    }
    optimizers.encoder.step(pick(generatorSide.grads, model.encoder.parameters()), { lr });
    optimizers.decoder.step(pick(generatorSide.grads, model.decoder.parameters()), { lr });
    optimizers.discriminator.step(discriminator.grads, { lr });
    return losses;
  });
}

/**
 * A batch mean times the batch size: the official losses are sums over the batch, and the
 * gradient's scale matters next to the coupled weight decay (Adam itself ignores it).
 */
function batchTotal(mean: tf.Scalar, n: number): tf.Scalar {
  return tf.mul(mean, n);
}

/** The gradients of `variables` out of a `variableGrads` map. */
function pick(grads: tf.NamedTensorMap, variables: readonly tf.Variable[]): tf.NamedTensorMap {
  return Object.fromEntries(variables.map((v) => [v.name, grads[v.name]]));
}

/** The value of a scalar kept out of a gradient scope (`tf.keep`), which no tidy would free. */
function takeValue(kept: tf.Scalar): number {
  const value = kept.dataSync()[0];
  kept.dispose();
  return value;
}
