/**
 * `perturb train-vaegan` configuration: the data, the architecture of every class-specific
 * VAE-GAN and the training recipe (what `trainClassSpecific` takes).
 */
import { parseOptions, z } from '@perturb/core';
import { STUTZ_BETA, resolveVaeGanConfig } from '@perturb/vaegan';
import { pluginsSchema } from './plugins';
import { type RawSettings, mergeLayers } from './settings';

/** The settings of one `perturb train-vaegan` run. */
export const vaeganConfigSchema = z.strictObject({
  plugins: pluginsSchema.optional(),
  dataset: z.string().min(1).default('fashion-mnist-small').describe('A registered dataset'),
  dataRoot: z
    .string()
    .min(1)
    .optional()
    .describe("Folder with the dataset's files. Default: the search order"),
  trainSize: z
    .int()
    .min(1)
    .optional()
    .describe("Training images, balanced over classes; each class's model sees its own. Default: all"),
  padTo: z
    .int()
    .min(1)
    .default(32)
    .describe("Zero-pad images to this square size; the classifiers' input size"),
  latentSize: z.int().min(1).default(10).describe("Size of each model's code (Stutz et al.: 10)"),
  widths: z
    .array(z.int().min(1))
    .min(1)
    .default([32, 64])
    .describe('Channels of each stride-2 stage; padTo must be divisible by 2^widths.length'),
  beta: z
    .number()
    .min(0)
    .default(STUTZ_BETA.classSpecific)
    .describe('KL weight of the class-specific models'),
  gamma: z.number().min(0).default(1).describe("Weight of the reconstruction term in the decoder's loss"),
  classAgnostic: z.boolean().default(false).describe('Also train agnostic.safetensors on all classes'),
  agnosticBeta: z
    .number()
    .min(0)
    .default(STUTZ_BETA.classAgnostic)
    .describe('KL weight of the class-agnostic model'),
  epochs: z.int().min(1).default(20).describe('Epochs of every model'),
  batchSize: z.int().min(1).default(64),
  lr: z.number().positive().default(1e-3).describe('Learning rate of the three Adam optimizers'),
  seed: z.int().min(0).default(0),
  out: z.string().min(1).default('runs/vaegan').describe('Folder of class-<k>.safetensors and result.json'),
});

/** The settings of one `perturb train-vaegan` run, every default filled in. */
export type TrainVaeGanConfig = z.output<typeof vaeganConfigSchema>;

/** Every default of `TrainVaeGanConfig`. */
export const DEFAULT_VAEGAN_CONFIG: TrainVaeGanConfig = parseOptions(vaeganConfigSchema, {}, 'the defaults');

/** Merges layers of raw settings over the defaults and validates them. */
export function resolveVaeGanTrainingConfig(
  layers: RawSettings[],
  source = 'the VAE-GAN config',
): TrainVaeGanConfig {
  const config = parseOptions(vaeganConfigSchema, mergeLayers(layers), source);
  // The architecture is checked by the package that builds it; the channel count does not
  // enter those checks, so one channel stands in for the dataset's.
  const { padTo, latentSize, widths, beta, gamma } = config;
  resolveVaeGanConfig({ imageShape: [padTo, padTo, 1], latentSize, widths, beta, gamma });
  return config;
}
