/**
 * L-ALFA, A-FAN's learnable variant: adversarial perturbations at several sites at once, each
 * scaled by a learned weight w_i, f_i = f + w_i·δ_i. The weights live in the plugin, which steps
 * them itself from the gradient the trainer hands it (the loss stage's `learned` inputs).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  type Augmenter,
  check,
  defineAugmenter,
  parseOptions,
  presetField,
  taskOf,
  withPresets,
  z,
} from '@perturb/core';
import { checkRandomInit, featureAttackShape, pluginSettings, pluginShape, sitesField } from './options';
import { attackSites, forwardOptions, termFeatures } from './sites';
import { projectOntoSimplex } from './simplex';

/** The official script's attack: PGD-3 with sign steps of 1/255 (also the defaults). */
const OFFICIAL_ATTACK = { steps: 3, stepSize: 1 / 255 };

/**
 * Named settings. The official L-ALFA script (VITA-Group/CV_A-FAN,
 * `Classification/main_learnable.py`) perturbs nine positions of its ResNet-56's layer list:
 * the stem's output and the outputs of blocks 4, 7, 10, 14, 17, 20, 24 and 27 of its 27 (the
 * last is the end of stage 3, before pooling).
 */
export const LALFA_PRESETS = {
  /** The official nine sites on `resnet56` (9 blocks a stage). */
  'resnet56-paper': {
    ...OFFICIAL_ATTACK,
    sites: [
      'stem',
      'stage1.block3',
      'stage1.block6',
      'stage2.block0',
      'stage2.block4',
      'stage2.block7',
      'stage3.block1',
      'stage3.block5',
      'stage3',
    ],
  },
  /**
   * The same nine positions on `resnet20` (3 blocks a stage): each official site at the same
   * fraction of the depth, rounded to a block (blocks 1, 2, 3, 5, 6, 7, 8, 9 of 9, and the stem).
   */
  'resnet20-paper': {
    ...OFFICIAL_ATTACK,
    sites: [
      'stem',
      'stage1.block0',
      'stage1.block1',
      'stage1',
      'stage2.block1',
      'stage2',
      'stage3.block0',
      'stage3.block1',
      'stage3',
    ],
  },
} as const;

/** The name of an entry of {@link LALFA_PRESETS}. */
export type LalfaPreset = keyof typeof LALFA_PRESETS;

const lalfaFields = z
  .strictObject({
    /** Start values from {@link LALFA_PRESETS}; the given options override them. */
    preset: presetField(LALFA_PRESETS),
    ...pluginShape('lalfa'),
    ...featureAttackShape({ stepSize: 1 / 255, steps: 3 }),
    /** Feature sites to perturb, each with its own weight (at least one; the paper uses nine). Required unless a preset gives them. */
    sites: sitesField().optional(),
    /** Learning rate of the weights' SGD. */
    weightLr: z.number().min(0).default(0.01),
    /** Momentum of the weights' SGD (PyTorch form, as the official code's optimizer). */
    weightMomentum: z.number().min(0).default(0.9),
    /** Coefficient of the ‖w‖₁ penalty in the weights' objective. */
    l1Coefficient: z.number().min(0).default(1),
  })
  .superRefine(checkRandomInit)
  .superRefine(({ sites }, ctx) => {
    if (sites === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['sites'],
        message: 'list the feature sites to perturb, or name a preset that gives them',
      });
    }
  })
  // Optional above only so that a preset may give it (and editors accept a preset alone).
  .transform(({ sites, ...options }) => ({ ...options, sites: sites ?? [] }));

/** The options of {@link lalfa}, checked, with every default. Every field is plain JSON, so a YAML config can set it. */
export const lalfaSchema = withPresets(LALFA_PRESETS, lalfaFields);

/** Options of {@link lalfa}: `sites` (or a `preset` that gives them) is required, every other field optional. */
export type LalfaOptions =
  z.input<typeof lalfaFields> | (Partial<z.input<typeof lalfaFields>> & { preset: LalfaPreset });

/** What {@link LalfaAugmenter.state} returns and `loadState` takes: plain JSON. */
export interface LalfaState {
  /** w, one per site in the order of `sites`. */
  weights: number[];
  /** The weights' SGD momentum buffer. */
  velocity: number[];
}

/** The L-ALFA augmenter: an `Augmenter` whose per-site weights can be read and restored. */
export interface LalfaAugmenter extends Augmenter {
  /** The current weights w, one per site in the order of `sites`; on the simplex (≥ 0, sum 1). */
  weights(): number[];
  /** A copy of the learned state (the trainer keeps it in its checkpoints). */
  state(): LalfaState;
  /** Restores a state from {@link LalfaAugmenter.state}. */
  loadState(state: LalfaState): void;
}

/**
 * The L-ALFA augmenter. Every step, in `losses()` (outside the trainer's gradient scope), it
 * runs PGD at each site; `terms()` returns one cross-entropy per site, named `<name>/<site>`, of
 * tail(f_i + w_i·δ_i). The weights w enter those terms as the stage's learned inputs, so the
 * trainer's backward passes give the step's loss (CE_clean + mean_i CE(tail(f_i + w_i·δ_i)))/2
 * its gradient with respect to w along with the model's, and after the model's update w takes
 * an SGD step with momentum on that gradient plus λ‖w‖₁'s, then is projected onto the simplex:
 * w and the model step from the same loss, as in the official code (one `loss.backward()`).
 *
 * Defaults follow the official L-ALFA script: PGD-3 with sign steps of 1/255, no random init,
 * no clipping, BatchNorm in training mode during the attack, w_i = 1/n at the start, weight lr
 * 0.01 with momentum 0.9, λ = 1, head features detached.
 *
 * The weights are plugin state: `@perturb/trainer` saves {@link LalfaAugmenter.state} in its
 * checkpoints and restores it when a run resumes; elsewhere save it yourself and call
 * `loadState` before resuming, or a resumed run starts again from 1/n.
 *
 * Differences from the official code: the projection is the Euclidean one onto the simplex, so
 * weights also stay ≥ 0 (the official shift only restores the sum); and since ‖w‖₁ does not
 * depend on the model's parameters it only enters w's update, not the trainer's reported loss.
 */
export function lalfa(options: LalfaOptions): LalfaAugmenter {
  return createLalfa(parseOptions(lalfaSchema, options, 'lalfa options'));
}

function createLalfa(options: z.output<typeof lalfaFields>): LalfaAugmenter {
  const { sites, weightLr, weightMomentum, l1Coefficient } = options;
  const { name, attack, cleanWeight, adversarialWeight, detachHead } = pluginSettings(options, sites.length);

  let weights = sites.map(() => 1 / sites.length);
  let velocity = sites.map(() => 0);

  const updateWeights = (gradient: number[]) => {
    velocity = velocity.map(
      (v, i) => weightMomentum * v + gradient[i] + l1Coefficient * Math.sign(weights[i]),
    );
    weights = projectOntoSimplex(weights.map((w, i) => w - weightLr * velocity[i]));
  };

  return {
    name,
    targets: ['labelMap', 'boxes'],
    weights: () => [...weights],
    state: () => ({ weights: [...weights], velocity: [...velocity] }),
    loadState(state) {
      checkState(state, sites.length);
      weights = [...state.weights];
      velocity = [...state.velocity];
    },
    losses(batch, ctx) {
      const attacked = attackSites(ctx.model, batch, sites, attack, ctx.rng, true);
      const task = taskOf(ctx.model);
      const stepWeights = weights.map((w) => tf.scalar(w));
      return {
        cleanWeight,
        learned: {
          tensors: stepWeights,
          // One read of all the sites' gradients: each read waits for the device (webgl).
          learn: (gradients) => updateWeights(Array.from(tf.stack(gradients as tf.Scalar[]).dataSync())),
        },
        terms: () =>
          attacked.map((site, i) => ({
            name: `${name}/${site.site}`,
            weight: adversarialWeight,
            value: () =>
              task.loss(
                ctx.model.tail(
                  weighted(
                    termFeatures(ctx.model, batch, site, detachHead, ctx.rng),
                    site.delta,
                    stepWeights[i],
                  ),
                  site.site,
                  forwardOptions(batch, ctx.rng, true),
                ),
                batch,
              ),
          })),
      };
    },
  };
}

/** f + w·δ. */
function weighted(features: tf.Tensor4D, delta: tf.Tensor4D, weight: tf.Scalar | number): tf.Tensor4D {
  return tf.add(features, tf.mul(delta, weight)) as tf.Tensor4D;
}

function checkState(state: LalfaState, sites: number): void {
  const valid = (values: unknown) =>
    Array.isArray(values) &&
    values.length === sites &&
    values.every((v) => typeof v === 'number' && Number.isFinite(v));
  check(
    state !== null && typeof state === 'object' && valid(state.weights) && valid(state.velocity),
    `the L-ALFA state does not hold ${sites} finite weights and velocities`,
    'pass a state that lalfa(...).state() returned for the same sites',
  );
}

/** `lalfa` as configs name it. */
export const lalfaDefinition = defineAugmenter({
  name: 'lalfa',
  summary:
    "L-ALFA: A-FAN at several sites at once, each scaled by a learned weight (kept in the plugin's state)",
  schema: lalfaSchema,
  create: createLalfa,
});
