/**
 * The `deeplabv3plus` model configs can name, registered in core's models registry when the
 * package is imported (anywhere). The segmentation datasets, which read files, are registered
 * by `@perturb/segmentation/node` (dataset-definitions.ts).
 */
import { PerturbError, defineModel, z } from '@perturb/core';
import { DeepLabV3Plus } from './deeplab';

/** The options of the `deeplabv3plus` model; defaults are the paper's (ResNet-50, ImageNet stem, output stride 16). */
export const deeplabModelOptions = z.strictObject({
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

defineModel({
  name: 'deeplabv3plus',
  summary:
    'DeepLabV3+ on a ResNet (dilated to output stride 8/16, ASPP, decoder); sites stem, layer1–4, aspp, decoder',
  schema: deeplabModelOptions,
  create: (options, { numClasses, inputShape, rng }) => {
    const [height, width, inChannels] = inputShape;
    if (height % options.outputStride !== 0 || width % options.outputStride !== 0) {
      throw new PerturbError(
        `deeplabv3plus with output stride ${options.outputStride} needs image sides that are multiples of it, but the dataset's images are ${height}×${width}`,
        `choose a dataset size (or padTo) that is a multiple of ${options.outputStride}, or a smaller outputStride`,
      );
    }
    return new DeepLabV3Plus({ ...options, rng, numClasses, inChannels });
  },
});
