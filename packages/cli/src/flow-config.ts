/** `perturb train-flow` configuration: data, the Glow's shape and the training recipe. */
import { parseOptions, presetField, withPresets, z } from '@perturb/core';
import { FLOW_PRESETS, type FlowPreset, trainingNoiseSchema } from '@perturb/flows';
import { type RawSettings, commonSettings, mergeLayers } from './settings';

/**
 * A flows preset in this config's terms: the Glow's options and recipe as named here, images
 * unpadded (flow-lp trains on 28×28 Fashion-MNIST), the condition the dataset's labels.
 */
function configPreset({ model, training }: FlowPreset) {
  const { steps, conditionSize, ...glow } = model;
  return { ...glow, ...training, depth: steps, conditional: (conditionSize ?? 0) > 0, padTo: 28 };
}

/** `preset: flow-lp` and the others of `@perturb/flows`' FLOW_PRESETS. */
export const FLOW_CONFIG_PRESETS = Object.fromEntries(
  Object.entries(FLOW_PRESETS).map(([name, preset]) => [name, configPreset(preset)]),
) as Record<keyof typeof FLOW_PRESETS, ReturnType<typeof configPreset>>;

/** The settings of one `perturb train-flow` run. */
export const flowConfigSchema = z.strictObject({
  ...commonSettings,
  preset: presetField(FLOW_CONFIG_PRESETS).describe(
    "Start values: flow-lp (flow-lp's Fashion-MNIST Glow, conditional) or flow-lp-fc (its notebook's fully connected flow)",
  ),
  trainSize: z.int().min(1).optional().describe('Training images, balanced over classes. Default: all'),
  testSize: z.int().min(1).optional().describe('Test images for test bits/dim, balanced. Default: all'),
  padTo: z.int().min(1).default(32),
  architecture: z
    .enum(['multiscale', 'fc'])
    .default('multiscale')
    .describe("Glow's multi-scale conv flow, or flow-lp's fully connected flow over flattened images"),
  levels: z.int().min(1).default(3).describe('Glow levels L'),
  depth: z.int().min(1).default(8).describe('Flow steps K per level (ActNorm → 1×1 conv → coupling)'),
  hidden: z.int().min(1).default(128).describe('Hidden width of the coupling networks'),
  coupling: z.enum(['affine', 'additive']).default('affine'),
  scaleForm: z
    .enum(['sigmoid', 'exp-tanh', 'exp-atan'])
    .default('sigmoid')
    .describe(
      "Affine coupling scale: OpenAI Glow's sigmoid(h + 2), flow-lp's exp(c·tanh h), or FrEIA's soft clamp exp(1.27·atan(h/2))",
    ),
  splitPrior: z
    .enum(['learned', 'standard'])
    .default('learned')
    .describe("Prior of split-off latents: learned, or standard (flow-lp's)"),
  topPrior: z
    .enum(['learned', 'standard'])
    .default('learned')
    .describe("Prior of the top latent: learned, or standard N(0, I) (flow-lp's)"),
  dataSpace: z
    .enum(['centered', 'logit'])
    .default('centered')
    .describe("Space the flow models images in: x − 0.5, or flow-lp's bounded logit logit(0.05 + 0.9·x)"),
  conditional: z
    .boolean()
    .default(false)
    .describe("Feed each image's one-hot label into every coupling (a class-conditional flow)"),
  epochs: z.int().min(1).default(5),
  batchSize: z.int().min(1).default(64),
  optimizer: z.enum(['adam', 'adamax']).default('adam'),
  lr: z.number().positive().default(1e-3).describe('Peak learning rate'),
  warmupSteps: z.int().min(0).default(200).describe('Linear learning-rate warm-up steps'),
  weightDecay: z.number().min(0).default(0).describe('Coupled L2 weight decay, e.g. 5e-5'),
  gradClipNorm: z
    .number()
    .positive()
    .default(50)
    .describe('Gradients are scaled down to this global L2 norm'),
  // e.g. `noise: { kind: gaussian, std: 0.1 }`; test bits/dim stays uniformly dequantized.
  noise: trainingNoiseSchema.default({ kind: 'uniform' }),
  seed: z.int().min(0).default(0),
  out: z.string().min(1).default('runs/flow'),
});

/** The settings of one `perturb train-flow` run, every default filled in. */
export type TrainFlowConfig = z.output<typeof flowConfigSchema>;

/** Every default of `TrainFlowConfig`. */
export const DEFAULT_FLOW_CONFIG: TrainFlowConfig = parseOptions(flowConfigSchema, {}, 'the defaults');

/** Merges layers of raw settings over the named preset, if any, and the defaults, and validates them. */
export function resolveFlowConfig(layers: RawSettings[], source = 'the flow config'): TrainFlowConfig {
  return parseOptions(withPresets(FLOW_CONFIG_PRESETS, flowConfigSchema), mergeLayers(layers), source);
}
