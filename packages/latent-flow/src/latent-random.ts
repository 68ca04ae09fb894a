import {
  type Augmenter,
  defineAugmenter,
  parseOptions,
  presetField,
  projectToBall,
  withPresets,
  z,
} from '@perturb/core';
import type { Glow } from '@perturb/flows';
import type * as tf from '@tensorflow/tfjs-core';
import { flowPathField, latentAugmenter, latentAugmenterFields, sharedFlow } from './flow-perturbation';

/** Named settings from the paper's code. */
export const LATENT_RANDOM_PRESETS = {
  /**
   * flow-lp's `pert/rand.yaml`: δ ~ N(0, 0.2²I), no projection, images clamped to [0, 1], on
   * standard-normal latents (standardized here). The defaults.
   */
  'flow-lp': { epsilon: 0.2, projection: 'none', latents: 'standardized' },
} as const;

/** The name of one of {@link LATENT_RANDOM_PRESETS}. */
export type LatentRandomPreset = keyof typeof LATENT_RANDOM_PRESETS;

const latentRandomFields = z.strictObject({
  /** Unique within a pipeline; names the augmenter's `Rng` stream there. */
  name: z.string().min(1).default('latentRandom'),
  /** Start values from {@link LATENT_RANDOM_PRESETS}; the other options override them. */
  preset: presetField(LATENT_RANDOM_PRESETS),
  /** Standard deviation of δ ~ N(0, ε²I), and the radius of the projection if any (flow-lp). */
  epsilon: z.number().min(0).default(0.2),
  /**
   * Project δ onto the L2 or L∞ ball of radius ε ('l2' makes δ a random direction of norm ε
   * whenever the draw lies outside, as flow-lp's CIFAR-10 setting `L2, ε = 20`).
   */
  projection: z.enum(['none', 'l2', 'linf']).default('none'),
  ...latentAugmenterFields,
});

/** Options of {@link latentRandom}: the trained flow F (frozen) and the noise's settings. */
export type LatentRandomOptions = z.input<typeof latentRandomFields> & { flow: Glow };

/** The options of `latentRandom` in a config: `flow` is the path of a trained flow checkpoint. */
export const latentRandomSchema = withPresets(
  LATENT_RANDOM_PRESETS,
  latentRandomFields.extend({ flow: flowPathField }),
);

type Settings = z.output<typeof latentRandomFields>;

/**
 * LA-Glow's random latent perturbation (Yüksel et al. 2021): z = F(x), δ ~ N(0, ε²I) over the
 * latents of every level (standardized by default), x' = clamp(F⁻¹(z + δ), 0, 1). The noise
 * comes from `ctx.rng`; a conditional flow gets each image's label (see `batchCondition`).
 */
export function latentRandom(options: LatentRandomOptions): Augmenter {
  const { flow, ...rest } = options;
  const schema = withPresets(LATENT_RANDOM_PRESETS, latentRandomFields);
  return createLatentRandom(parseOptions(schema, rest, 'latentRandom options'), flow);
}

function createLatentRandom(settings: Settings, flow: Glow): Augmenter {
  const { epsilon, projection } = settings;
  return latentAugmenter(settings.name, flow, settings, (latents, _batch, ctx) => {
    const noise = latents.map((z) => ctx.rng.normalTensor(z.shape, 0, epsilon) as tf.Tensor4D);
    return projection === 'none' ? noise : projectToBall(noise, projection, epsilon);
  });
}

/** `latentRandom` as configs name it. */
export const latentRandomDefinition = defineAugmenter({
  name: 'latentRandom',
  summary: "LA-Glow's random perturbation δ ~ N(0, ε²I) of a trained flow's latents",
  schema: latentRandomSchema,
  create: ({ flow, ...settings }, env) => createLatentRandom(settings, sharedFlow(env, flow)),
});
