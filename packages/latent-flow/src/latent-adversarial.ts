import type * as tf from '@tensorflow/tfjs-core';
import {
  type Augmenter,
  classifierPgd,
  defineAugmenter,
  LA_GLOW_PGD,
  parseOptions,
  pgdAugmenterShape,
  withPresets,
  z,
} from '@perturb/core';
import type { Glow } from '@perturb/flows';
import {
  decodeShifted,
  flowPathField,
  latentAugmenter,
  latentAugmenterFields,
  sharedFlow,
} from './flow-perturbation';

/** Named settings from the paper and its code. */
export const LATENT_ADVERSARIAL_PRESETS = {
  /** flow-lp's default (`pert/pgd.yaml`): L∞, ε = α = 0.05, one step. The defaults. */
  'flow-lp': LA_GLOW_PGD,
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
} as const;

/** The name of one of {@link LATENT_ADVERSARIAL_PRESETS}, a named set of attack settings. */
export type LatentAdversarialPreset = keyof typeof LATENT_ADVERSARIAL_PRESETS;

const latentAdversarialFields = z.strictObject({
  ...pgdAugmenterShape('latentAdversarial', LATENT_ADVERSARIAL_PRESETS),
  ...latentAugmenterFields,
});

/** Options of {@link latentAdversarial}: the trained flow F (frozen) and the PGD options, in latent space. */
export type LatentAdversarialOptions = z.input<typeof latentAdversarialFields> & { flow: Glow };

/** The options of `latentAdversarial` in a config: `flow` is the path of a trained flow checkpoint. */
export const latentAdversarialSchema = withPresets(
  LATENT_ADVERSARIAL_PRESETS,
  latentAdversarialFields.extend({ flow: flowPathField }),
);

type Settings = z.output<typeof latentAdversarialFields>;

/**
 * LA-Glow's adversarial latent perturbation: PGD on δ in the flow's latent space against the
 * classifier being trained, recomputed at every step (so it adapts to the classifier):
 * δ ← Π_ε(δ + α·dir(∇_δ CE(f(F⁻¹(z + δ)), ŷ))), x' = clamp(F⁻¹(z + δ), 0, 1), with δ over
 * every latent level at once (core's `classifierPgd`), standardized by default. The clamp comes
 * after the attack, as in flow-lp, so no saturated pixel blocks the gradient. A conditional
 * flow gets each image's label (see `batchCondition`). Only δ is differentiated; the flow and
 * classifier are not updated (though in `'train'` BN mode the classifier's running statistics
 * move, as in the official code).
 *
 * @param options the options; `preset` names start values from {@link LATENT_ADVERSARIAL_PRESETS}.
 */
export function latentAdversarial(options: LatentAdversarialOptions): Augmenter {
  const { flow, ...rest } = options;
  const schema = withPresets(LATENT_ADVERSARIAL_PRESETS, latentAdversarialFields);
  return createLatentAdversarial(parseOptions(schema, rest, 'latentAdversarial options'), flow);
}

function createLatentAdversarial(settings: Settings, flow: Glow): Augmenter {
  return latentAugmenter(
    settings.name,
    flow,
    settings,
    (latents, batch, ctx, view) =>
      classifierPgd(
        ctx.model,
        batch,
        settings,
        {
          parts: latents,
          around: 'origin',
          logits: (deltas, options) =>
            ctx.model.logits(decodeShifted(flow, latents, deltas as tf.Tensor4D[], view), options),
        },
        ctx.rng,
      ) as tf.Tensor4D[],
  );
}

/** `latentAdversarial` as configs name it. */
export const latentAdversarialDefinition = defineAugmenter({
  name: 'latentAdversarial',
  summary: "LA-Glow's PGD on a trained flow's latents against the classifier being trained",
  schema: latentAdversarialSchema,
  create: ({ flow, ...settings }, env) => createLatentAdversarial(settings, sharedFlow(env, flow)),
});
