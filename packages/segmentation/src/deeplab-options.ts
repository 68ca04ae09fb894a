/**
 * The options of {@link DeepLabV3Plus} and of the `deeplabv3plus` model configs name: defaults
 * are the paper's (ResNet-50, ImageNet stem, output stride 16), with a `tiny` preset for tests
 * and demos.
 */
import { presetField, withPresets, z } from '@perturb/core';

/**
 * Named settings: `tiny` is a ResNet-18 of one block per stage with the fewest channels that still
 * train, the CIFAR stem and output stride 8, and atrous rates 1/2/3 for the small images such a
 * model sees (a 64×64 scene's ASPP map is 8×8, too small for 12/24/36): a step in a moment, for
 * tests and demos (a page trains it in the browser), not for scores.
 */
export const DEEPLAB_PRESETS = {
  tiny: {
    backbone: 'resnet18',
    blocks: [1, 1, 1, 1],
    width: 4,
    stem: 'cifar',
    outputStride: 8,
    atrousRates: [1, 2, 3],
    channels: 8,
    lowLevelChannels: 4,
  },
} as const;

const fields = z.strictObject({
  preset: presetField(DEEPLAB_PRESETS).describe('tiny: a step in a moment, for tests and demos'),
  backbone: z.enum(['resnet18', 'resnet34', 'resnet50']).default('resnet50').describe('Backbone depth'),
  blocks: z
    .tuple([z.int().min(1), z.int().min(1), z.int().min(1), z.int().min(1)])
    .optional()
    .describe("Blocks per stage instead of the backbone's, e.g. [1, 1, 1, 1] for a tiny model"),
  width: z.int().min(1).default(64).describe('Channels of the first stage; later stages double it'),
  stem: z
    .enum(['imagenet', 'cifar'])
    .default('imagenet')
    .describe('imagenet: 7×7/2 conv + max pool (stride 4); cifar: one 3×3/2 conv (stride 2)'),
  outputStride: z
    .union([z.literal(4), z.literal(8), z.literal(16), z.literal(32)])
    .default(16)
    .describe('Input size / ASPP feature size (8 or 16 in the paper)'),
  atrousRates: z
    .array(z.int().min(1))
    .min(1)
    .optional()
    .describe('ASPP atrous rates. Default [6, 12, 18] × 16 / outputStride; small images need smaller ones'),
  channels: z.int().min(1).default(256).describe('Channels of the ASPP branches and the decoder'),
  lowLevelChannels: z.int().min(1).default(48).describe('Channels the stride-4 features are reduced to'),
});

/** The `deeplabv3plus` options (a preset's values under the given ones); every field but `blocks` and `atrousRates` has a default. */
export const deeplabModelOptions = withPresets(DEEPLAB_PRESETS, fields);

/** Options of the `deeplabv3plus` model as written (every field optional). */
export type DeepLabV3PlusConfig = z.input<typeof fields>;
/** Options of the `deeplabv3plus` model with their defaults filled in. */
export type DeepLabV3PlusSettings = z.output<typeof deeplabModelOptions>;
