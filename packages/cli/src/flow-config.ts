/** `perturb train-flow` configuration: data, the Glow's shape and the training recipe. */
import { parseOptions, z } from '@perturb/core';
import { type RawSettings, commonSettings, mergeLayers } from './settings';

/** The settings of one `perturb train-flow` run. */
export const flowConfigSchema = z.strictObject({
  ...commonSettings,
  trainSize: z.int().min(1).optional().describe('Training images, balanced over classes. Default: all'),
  testSize: z.int().min(1).optional().describe('Test images for test bits/dim, balanced. Default: all'),
  padTo: z.int().min(1).default(32),
  levels: z.int().min(1).default(3).describe('Glow levels L'),
  depth: z.int().min(1).default(8).describe('Flow steps K per level (ActNorm → 1×1 conv → coupling)'),
  hidden: z.int().min(1).default(128).describe('Hidden width of the coupling networks'),
  coupling: z.enum(['affine', 'additive']).default('affine'),
  scaleForm: z
    .enum(['sigmoid', 'exp-tanh'])
    .default('sigmoid')
    .describe("Affine coupling scale: OpenAI Glow's sigmoid(h + 2), or flow-lp's exp(c·tanh h)"),
  splitPrior: z
    .enum(['learned', 'standard'])
    .default('learned')
    .describe("Prior of split-off latents: learned, or standard (flow-lp's)"),
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
  seed: z.int().min(0).default(0),
  out: z.string().min(1).default('runs/flow'),
});

/** The settings of one `perturb train-flow` run, every default filled in. */
export type TrainFlowConfig = z.output<typeof flowConfigSchema>;

/** Every default of `TrainFlowConfig`. */
export const DEFAULT_FLOW_CONFIG: TrainFlowConfig = parseOptions(flowConfigSchema, {}, 'the defaults');

/** Merges layers of raw settings over the defaults and validates them. */
export function resolveFlowConfig(layers: RawSettings[], source = 'the flow config'): TrainFlowConfig {
  return parseOptions(flowConfigSchema, mergeLayers(layers), source);
}
