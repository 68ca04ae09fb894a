/**
 * Options shared by `afan` and `lalfa`, as zod fields. Options may come from untyped YAML
 * configs (`perturb train`), so every field is checked at construction, not at step 1000.
 */
import { type PgdSettings, z } from '@perturb/core';

/** The feature attack's fields, with a plugin's step size and count as defaults. */
export function featureAttackShape(defaults: { stepSize: number; steps: number }) {
  return {
    /** Size γ of each sign step, in feature units. */
    stepSize: z.number().min(0).default(defaults.stepSize),
    /** Number of PGD steps. */
    steps: z.int().min(0).default(defaults.steps),
    /**
     * L∞ radius ε that δ is clipped to after every step. Default: no clipping, as the A-FAN
     * scripts run. `0` leaves the features unchanged.
     */
    epsilon: z.number().min(0).optional(),
    /** Start from δ ~ U(−ε, ε) instead of δ = 0; needs `epsilon`. */
    randomInit: z.boolean().default(false),
    /**
     * BatchNorm mode of the forward passes during the attack. `'train'` (the official code) uses
     * batch statistics, and so moves the running statistics once per step; `'eval'` uses the
     * running statistics and leaves them untouched.
     */
    bnMode: z.enum(['train', 'eval']).default('train'),
  };
}

/** The feature attack's options with `defaults`, checked. */
export function featureAttackSchema(defaults: { stepSize: number; steps: number }) {
  return z.strictObject(featureAttackShape(defaults)).superRefine(checkRandomInit);
}

/** How the PGD attack on features runs (every field optional). */
export type FeatureAttackOptions = z.input<ReturnType<typeof featureAttackSchema>>;

/** The fields both plugins accept on top of the attack: loss weights and where gradients reach. */
export function pluginShape(name: string) {
  return {
    /** The augmenter's name, unique within a pipeline; names its `Rng` stream. */
    name: z.string().min(1).default(name),
    /** Multiplies the trainer's clean cross-entropy. */
    cleanWeight: z.number().min(0).default(0.5),
    /**
     * Weight of each adversarial term. Default 0.5 split evenly over the terms, so the loss is
     * ½ clean + ½ mean adversarial (the classification setting).
     */
    adversarialWeight: z.number().min(0).optional(),
    /**
     * Whether the head features are computed outside the gradient scope, so adversarial losses
     * train only the tail (A-FAN). `false` recomputes `head(x)` inside the scope so their
     * gradients reach the head too.
     */
    detachHead: z.boolean().default(true),
  };
}

/** How the clean and adversarial losses are weighted. */
export type LossWeightOptions = Pick<FeaturePluginOptions, 'cleanWeight' | 'adversarialWeight'>;

type PluginFields = z.ZodObject<ReturnType<typeof pluginShape>>;
type CheckedAttack = z.output<ReturnType<typeof featureAttackSchema>>;

/** Options both plugins accept: the attack, the loss weights, the name and `detachHead`. */
export type FeaturePluginOptions = FeatureAttackOptions & z.input<PluginFields>;

/** The feature sites to perturb: at least one, each once. */
export function sitesField() {
  return z
    .array(z.string().min(1))
    .min(1)
    .refine((sites) => new Set(sites).size === sites.length, 'list each site once');
}

/** Refuses a random init without the ε to draw it from. */
export function checkRandomInit(
  options: { randomInit: boolean; epsilon?: number },
  ctx: z.core.$RefinementCtx,
): void {
  if (options.randomInit && options.epsilon === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['randomInit'],
      message:
        'randomInit needs a finite epsilon to draw δ ~ U(−ε, ε) from: set epsilon, or set randomInit to false',
    });
  }
}

/** Checked options of either plugin. */
type CheckedPlugin = CheckedAttack & z.output<PluginFields>;

/** The settings of core's PGD loop for a feature attack: L∞ sign steps against the true labels. */
export function featurePgdSettings(options: CheckedAttack): PgdSettings {
  return {
    norm: 'linf',
    epsilon: options.epsilon ?? Infinity,
    stepSize: options.stepSize,
    steps: options.steps,
    randomStart: options.randomInit,
    labels: 'true',
    bnMode: options.bnMode,
  };
}

/** Validated options shared by both plugins. */
export interface PluginSettings {
  name: string;
  /** The feature attack, as core's PGD settings. */
  attack: PgdSettings;
  cleanWeight: number;
  /** Weight of each adversarial term. */
  adversarialWeight: number;
  detachHead: boolean;
}

/**
 * The settings both plugins share, from their checked options. `terms` is the number of
 * adversarial terms the default `adversarialWeight` (0.5 in all) is split over.
 */
export function pluginSettings(options: CheckedPlugin, terms: number): PluginSettings {
  return {
    name: options.name,
    attack: featurePgdSettings(options),
    cleanWeight: options.cleanWeight,
    adversarialWeight: options.adversarialWeight ?? 0.5 / terms,
    detachHead: options.detachHead,
  };
}
