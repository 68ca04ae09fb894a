import * as tf from '@tensorflow/tfjs-core';
import {
  type Augmenter,
  type PgdOptions,
  PerturbError,
  ascentDirection,
  check,
  crossEntropy,
  predictedLabels,
  projectToBall,
} from '@perturb/core';
import type { Glow } from '@perturb/flows';
import { decodePerturbed, latentAugmenter } from './flow-perturbation';

/** Options of {@link latentAdversarial}: the PGD options, in latent space, and the flow. */
export interface LatentAdversarialOptions extends PgdOptions {
  /** The trained flow F (frozen). */
  flow: Glow;
  /** Probability that a sample is replaced by its perturbation. Default 1. */
  ratio?: number;
  /** Default `'latentAdversarial'`. */
  name?: string;
}

type Settings = Required<Omit<LatentAdversarialOptions, 'flow' | 'name' | 'ratio'>>;

/** Named settings from the paper and its code. */
export const LATENT_ADVERSARIAL_PRESETS = {
  /** flow-lp's default (`pert/pgd.yaml`): L∞, ε = α = 0.05, one step. */
  'flow-lp': {
    norm: 'linf',
    epsilon: 0.05,
    stepSize: 0.05,
    steps: 1,
    randomStart: true,
    labels: 'predicted',
    bnMode: 'train',
  },
  /** The paper's CIFAR-10 setting (flow-lp README): L2, ε = 1.0, α = 0.5, 3 steps. */
  'cifar10-paper': {
    norm: 'l2',
    epsilon: 1.0,
    stepSize: 0.5,
    steps: 3,
    randomStart: true,
    labels: 'predicted',
    bnMode: 'train',
  },
  /** flow-lp's MNIST notebook: L∞, ε = 0.3, α = 0.1, 5 steps, true labels. */
  mnist: {
    norm: 'linf',
    epsilon: 0.3,
    stepSize: 0.1,
    steps: 5,
    randomStart: true,
    labels: 'true',
    bnMode: 'train',
  },
} as const satisfies Record<string, Settings>;

/** The name of one of {@link LATENT_ADVERSARIAL_PRESETS}, a named set of attack settings. */
export type LatentAdversarialPreset = keyof typeof LATENT_ADVERSARIAL_PRESETS;

/**
 * LA-Glow's adversarial latent perturbation: PGD on δ in the flow's latent space against the
 * classifier being trained, recomputed at every step (so it adapts to the classifier):
 * δ ← Π_ε(δ + α·dir(∇_δ CE(f(clamp(F⁻¹(z + δ))), ŷ))), x' = clamp(F⁻¹(z + δ), 0, 1), with δ over
 * every latent level at once. Only δ is differentiated; the flow and classifier are not updated
 * (though in `'train'` BN mode the classifier's running statistics move, as in the official code).
 *
 * @param options the options; `preset` names start values from {@link LATENT_ADVERSARIAL_PRESETS}.
 */
export function latentAdversarial(
  options: LatentAdversarialOptions & { preset?: LatentAdversarialPreset },
): Augmenter {
  const base = options.preset ? presetSettings(options.preset) : LATENT_ADVERSARIAL_PRESETS['flow-lp'];
  const s: Settings = { ...base, ...definedOnly(options) };
  check(['linf', 'l2'].includes(s.norm), `latentAdversarial norm is "${s.norm}"`, 'use "linf" or "l2"');
  check(
    s.epsilon >= 0 && Number.isFinite(s.epsilon),
    `latentAdversarial epsilon is ${s.epsilon}`,
    'pass a finite number ≥ 0',
  );
  check(
    s.stepSize >= 0 && Number.isFinite(s.stepSize),
    `latentAdversarial stepSize is ${s.stepSize}`,
    'pass a finite number ≥ 0',
  );
  check(
    Number.isInteger(s.steps) && s.steps >= 0,
    `latentAdversarial steps is ${s.steps}`,
    'pass a whole number ≥ 0',
  );
  check(
    ['predicted', 'true'].includes(s.labels),
    `latentAdversarial labels is "${s.labels}"`,
    'use "predicted" or "true"',
  );
  check(
    ['train', 'eval'].includes(s.bnMode),
    `latentAdversarial bnMode is "${s.bnMode}"`,
    'use "train" or "eval"',
  );
  const training = s.bnMode === 'train';
  const { flow } = options;
  return latentAugmenter(
    options.name ?? 'latentAdversarial',
    flow,
    options.ratio ?? 1,
    (latents, batch, ctx) => {
      const target = s.labels === 'true' ? batch.y : predictedLabels(ctx.model, batch.x, training);
      const lossOf = (...deltas: tf.Tensor[]) =>
        crossEntropy(
          ctx.model.logits(decodePerturbed(flow, latents, deltas as tf.Tensor4D[]), { training }),
          target,
        );
      const gradients = tf.grads(lossOf);
      let deltas = s.randomStart
        ? projectToBall(
            latents.map((z) => ctx.rng.uniformTensor(z.shape, -s.epsilon, s.epsilon) as tf.Tensor4D),
            s.norm,
            s.epsilon,
          )
        : latents.map((z) => tf.zerosLike(z));
      for (let step = 0; step < s.steps; step++) {
        const previous = deltas;
        // One tidy per step keeps a long attack's memory flat.
        deltas = tf.tidy(() => {
          const direction = ascentDirection(gradients(previous) as tf.Tensor4D[], s.norm);
          return projectToBall(
            previous.map((d, i) => tf.add(d, tf.mul(direction[i], s.stepSize))),
            s.norm,
            s.epsilon,
          );
        });
        tf.dispose(previous);
      }
      return deltas;
    },
  );
}

function presetSettings(preset: string): Settings {
  if (!(preset in LATENT_ADVERSARIAL_PRESETS)) {
    throw new PerturbError(
      `"${preset}" is not a latentAdversarial preset`,
      `use one of ${Object.keys(LATENT_ADVERSARIAL_PRESETS).join(', ')}`,
    );
  }
  return LATENT_ADVERSARIAL_PRESETS[preset as LatentAdversarialPreset];
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}
