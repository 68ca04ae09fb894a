/**
 * `perturb train-vaegan` configuration: the data, the architecture of every class-specific
 * VAE-GAN and the training recipe (what `trainClassSpecific` takes).
 */
import { parseOptions, z } from '@perturb/core';
import { STUTZ_BETA, VAEGAN_PRESET_NAMES, resolveVaeGanConfig, vaeGanPreset } from '@perturb/vaegan';
import { type RawSettings, commonSettings, mergeLayers } from './settings';

/** The settings of one `perturb train-vaegan` run. */
export const vaeganConfigSchema = z.strictObject({
  ...commonSettings,
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
  preset: z
    .enum(VAEGAN_PRESET_NAMES)
    .default('stutz')
    .describe(
      "The recipe widths, reconstruction, batchNorm, epochs, batchSize, lr, lrDecay and weightDecay default to: 'stutz' (Stutz et al.'s) or 'perturb-v0' (perturb's before it)",
    ),
  latentSize: z.int().min(1).default(10).describe("Size of each model's code (Stutz et al.: 10)"),
  widths: z
    .array(z.int().min(1))
    .min(1)
    .optional()
    .describe(
      "Channels of each stride-2 stage; padTo must be divisible by 2^widths.length. Default: the preset's",
    ),
  reconstruction: z
    .enum(['absolute', 'squared'])
    .optional()
    .describe("Absolute (L1) or squared (L2) reconstruction error. Default: the preset's"),
  batchNorm: z
    .boolean()
    .optional()
    .describe("BatchNorm after every hidden convolution, as Stutz et al.'s networks. Default: the preset's"),
  beta: z
    .number()
    .min(0)
    .default(STUTZ_BETA.classSpecific)
    .describe('Reconstruction weight of the class-specific models (the KL weight is 1)'),
  gamma: z.number().min(0).default(1).describe('Weight of the GAN terms of all three networks'),
  classAgnostic: z.boolean().default(false).describe('Also train agnostic.safetensors on all classes'),
  agnosticBeta: z
    .number()
    .min(0)
    .default(STUTZ_BETA.classAgnostic)
    .describe('Reconstruction weight of the class-agnostic model'),
  epochs: z.int().min(1).optional().describe("Epochs of every model. Default: the preset's"),
  batchSize: z.int().min(1).optional().describe("Default: the preset's"),
  lr: z
    .number()
    .positive()
    .optional()
    .describe("Base learning rate of the three Adam optimizers. Default: the preset's"),
  lrDecay: z
    .number()
    .positive()
    .max(1)
    .optional()
    .describe("Learning-rate decay per epoch (lr·lrDecay^(epoch + fraction)). Default: the preset's"),
  weightDecay: z
    .number()
    .min(0)
    .optional()
    .describe("Coupled L2 weight decay of Adam. Default: the preset's"),
  seed: z.int().min(0).default(0),
  out: z
    .string()
    .min(1)
    .default('runs/vaegan')
    .describe('Folder of class-<k>.safetensors, images/class-<k>.png and result.json'),
});

/** The settings a preset fills in when a config leaves them out. */
type PresetSetting =
  'widths' | 'reconstruction' | 'batchNorm' | 'epochs' | 'batchSize' | 'lr' | 'lrDecay' | 'weightDecay';

/** The settings of one `perturb train-vaegan` run, every default (the preset's included) filled in. */
export type TrainVaeGanConfig = Omit<z.output<typeof vaeganConfigSchema>, PresetSetting> &
  Required<Pick<z.output<typeof vaeganConfigSchema>, PresetSetting>>;

/** Merges layers of raw settings over the defaults and validates them. */
export function resolveVaeGanTrainingConfig(
  layers: RawSettings[],
  source = 'the VAE-GAN config',
): TrainVaeGanConfig {
  const parsed = parseOptions(vaeganConfigSchema, mergeLayers(layers), source);
  const preset = vaeGanPreset(parsed.preset);
  const config: TrainVaeGanConfig = {
    ...parsed,
    widths: parsed.widths ?? preset.widths,
    reconstruction: parsed.reconstruction ?? preset.reconstruction,
    batchNorm: parsed.batchNorm ?? preset.batchNorm,
    epochs: parsed.epochs ?? preset.epochs,
    batchSize: parsed.batchSize ?? preset.batchSize,
    lr: parsed.lr ?? preset.lr,
    lrDecay: parsed.lrDecay ?? preset.lrDecay,
    weightDecay: parsed.weightDecay ?? preset.weightDecay,
  };
  // The architecture is checked by the package that builds it; the channel count does not
  // enter those checks, so one channel stands in for the dataset's.
  const { padTo, latentSize, widths, beta, gamma, reconstruction } = config;
  resolveVaeGanConfig({ imageShape: [padTo, padTo, 1], latentSize, widths, beta, gamma, reconstruction });
  return config;
}

/** Every default of `TrainVaeGanConfig` (the `stutz` preset's). */
export const DEFAULT_VAEGAN_CONFIG: TrainVaeGanConfig = resolveVaeGanTrainingConfig([], 'the defaults');
