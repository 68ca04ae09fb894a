/**
 * A-FAN (Chen et al., arXiv 2103.12171): adversarial feature augmentation and normalization as
 * an `Augmenter` loss stage. Split the classifier at a feature site, f = head(x); find δ by PGD
 * on CE(tail(f + δ), y); train on the clean loss plus the losses of tail(f + α·δ) for each
 * strength α, optionally with the adversarial moments re-injected into f (A-FN).
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Augmenter, defineAugmenter, parseOptions, taskOf, z } from '@perturb/core';
import { adversarialFeatureNormalization } from './normalization';
import {
  type PluginSettings,
  checkRandomInit,
  featureAttackShape,
  pluginSettings,
  pluginShape,
  sitesField,
} from './options';
import { AFAN_ATTACK_DEFAULTS } from './pgd';
import { attackSites, forwardOptions, termFeatures } from './sites';

/** A list of strengths α, each once. */
const strengthsField = (minimum: number) =>
  z
    .array(z.number().min(0))
    .min(minimum)
    .refine((values) => new Set(values).size === values.length, 'list each strength once');

/** The options of {@link afan}, checked, with every default. Every field is plain JSON, so a YAML config can set it. */
export const afanSchema = z
  .strictObject({
    ...pluginShape('afan'),
    ...featureAttackShape(AFAN_ATTACK_DEFAULTS),
    /**
     * Feature sites to perturb, each attacked on its own. Default `['stage1']`, the end of the
     * first residual stage of the CIFAR ResNets in `@perturb/classifiers` (the paper's site).
     */
    sites: sitesField().default(['stage1']),
    /**
     * Strengths α: one adversarial term per strength and site, on f + α·δ. Default `[1]`
     * (classification); the paper uses `[0.25, 0.5, 0.75, 1]` for detection, `[0.5, 1]` for
     * segmentation.
     */
    strengths: strengthsField(1).default([1]),
    /**
     * The strengths whose term uses A-FN, σ_adv·(f − μ)/σ + μ_adv with the moments of f + α·δ,
     * instead of f + α·δ itself. Default `[]`: the classification code uses no A-FN (detection
     * uses it on the two strongest, e.g. `[0.75, 1]`).
     */
    afnStrengths: strengthsField(0).default([]),
  })
  .superRefine((options, ctx) => {
    checkRandomInit(options, ctx);
    const stray = options.afnStrengths.find((s) => !options.strengths.includes(s));
    if (stray !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['afnStrengths'],
        message: `it lists ${stray}, which is not one of the strengths: list only values that strengths also lists`,
      });
    }
  });

/** Options of {@link afan} (every field optional). */
export type AfanOptions = z.input<typeof afanSchema>;

/** One adversarial term per site: a strength and whether it goes through A-FN. */
export interface Perturbation {
  strength: number;
  normalize: boolean;
}

/** Validated options of {@link afan}. */
export interface AfanSettings extends PluginSettings {
  sites: string[];
  perturbations: Perturbation[];
}

/**
 * The A-FAN augmenter: a loss stage only. Its attack work (head pass, PGD) runs in `losses()`
 * outside the trainer's gradient scope; `terms()` returns one cross-entropy per site and
 * strength, named `<name>/<site>/α=<strength>` (`+afn` with A-FN): the model task's loss (cross-entropy,
 * per pixel for dense models) against the batch's targets.
 *
 * Defaults reproduce the paper's classification setting (ResNet-56 on CIFAR-10): site
 * `stage1`, PGD-5 with sign steps of 0.5/255, no random init, no clipping, BatchNorm in training
 * mode during the attack, one strength α = 1 without A-FN, loss ½·clean + ½·adversarial, head
 * features detached.
 */
export function afan(options: AfanOptions = {}): Augmenter {
  return createAfan(resolveAfanOptions(options));
}

function createAfan(settings: AfanSettings): Augmenter {
  const { name, sites, perturbations, attack, cleanWeight, adversarialWeight, detachHead } = settings;
  return {
    name,
    targets: ['labelMap'],
    losses(batch, ctx) {
      const attacked = attackSites(ctx.model, batch, sites, attack, ctx.rng, true);
      return {
        cleanWeight,
        terms: () =>
          attacked.flatMap((site) => {
            const features = termFeatures(ctx.model, batch, site, detachHead, ctx.rng);
            return perturbations.map((p) => ({
              name: termName(name, site.site, p),
              weight: adversarialWeight,
              value: taskOf(ctx.model).loss(
                ctx.model.tail(
                  perturbedFeatures(features, site.delta, p),
                  site.site,
                  forwardOptions(batch, ctx.rng, true),
                ),
                batch,
              ),
            }));
          }),
      };
    },
  };
}

/** Checks {@link AfanOptions} and fills in the defaults. */
export function resolveAfanOptions(options: AfanOptions): AfanSettings {
  return afanSettings(parseOptions(afanSchema, options, 'afan options'));
}

function afanSettings(options: z.output<typeof afanSchema>): AfanSettings {
  const { sites, strengths, afnStrengths } = options;
  return {
    ...pluginSettings(options, sites.length * strengths.length),
    sites,
    perturbations: strengths.map((strength) => ({ strength, normalize: afnStrengths.includes(strength) })),
  };
}

/** f + α·δ, or its A-FN mix with f when `normalize`. */
export function perturbedFeatures(
  features: tf.Tensor4D,
  delta: tf.Tensor4D,
  perturbation: Perturbation,
): tf.Tensor4D {
  const adversarial = tf.add(features, tf.mul(delta, perturbation.strength)) as tf.Tensor4D;
  return perturbation.normalize ? adversarialFeatureNormalization(features, adversarial) : adversarial;
}

function termName(name: string, site: string, perturbation: Perturbation): string {
  return `${name}/${site}/α=${perturbation.strength}${perturbation.normalize ? '+afn' : ''}`;
}

/** `afan` as configs name it. */
export const afanDefinition = defineAugmenter({
  name: 'afan',
  summary: 'A-FAN: PGD on features at a site, trained on as extra loss terms (optionally through A-FN)',
  schema: afanSchema,
  create: (options) => createAfan(afanSettings(options)),
});
