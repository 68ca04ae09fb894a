/**
 * The options of {@link FasterRcnn} and of the `fasterrcnn` model configs name: defaults sized
 * for 64×64 Fashion-MNIST scenes (garments of 14–42 pixels), a preset with torchvision's
 * `fasterrcnn_resnet50_fpn` sizes and a `tiny` one for tests and demos.
 */
import { presetField, withPresets, z } from '@perturb/core';

/**
 * Named settings: `torchvision-resnet50-fpn` is torchvision's `fasterrcnn_resnet50_fpn` (a
 * ResNet-50 with the ImageNet stem, a 256-channel pyramid, anchors 32…512, 2000/1000 proposals,
 * 512 RoIs per image, a 1024-wide box head); its BatchNorm is trained, not frozen. `tiny` is the
 * defaults at one block per stage and the fewest channels, proposals and RoIs that still train:
 * a step in a moment, for tests and demos (a page trains it in the browser), not for scores.
 */
export const FASTER_RCNN_PRESETS = {
  tiny: {
    blocks: [1, 1, 1, 1],
    width: 4,
    fpnChannels: 8,
    representationSize: 16,
    rpnPreNmsTopNTrain: 40,
    rpnPostNmsTopNTrain: 20,
    rpnPreNmsTopNTest: 20,
    rpnPostNmsTopNTest: 10,
    roiSamples: 16,
  },
  'torchvision-resnet50-fpn': {
    backbone: 'resnet50',
    width: 64,
    stem: 'imagenet',
    fpnChannels: 256,
    anchorSizes: [[32], [64], [128], [256], [512]],
    rpnPreNmsTopNTrain: 2000,
    rpnPreNmsTopNTest: 1000,
    rpnPostNmsTopNTrain: 2000,
    rpnPostNmsTopNTest: 1000,
    roiSamples: 512,
    representationSize: 1024,
    canonicalScale: 224,
  },
} as const;

const count = (fallback: number, what: string) => z.int().min(1).default(fallback).describe(what);
const fraction = (fallback: number, what: string) =>
  z.number().min(0).max(1).default(fallback).describe(what);

const fields = z.strictObject({
  preset: presetField(FASTER_RCNN_PRESETS).describe(
    "torchvision-resnet50-fpn: torchvision's fasterrcnn_resnet50_fpn sizes; tiny: a step in a moment, for tests and demos",
  ),
  backbone: z.enum(['resnet18', 'resnet34', 'resnet50']).default('resnet18').describe('Backbone depth'),
  blocks: z
    .tuple([z.int().min(1), z.int().min(1), z.int().min(1), z.int().min(1)])
    .optional()
    .describe("Blocks per stage instead of the backbone's, e.g. [1, 1, 1, 1] for a tiny model"),
  width: count(16, 'Channels of the first backbone stage; later stages double it'),
  stem: z
    .enum(['imagenet', 'cifar'])
    .default('cifar')
    .describe('imagenet: 7×7/2 conv + max pool (stride 4); cifar: one 3×3/2 conv (stride 2)'),
  fpnChannels: count(64, 'Channels of every pyramid level (torchvision: 256)'),
  anchorSizes: z
    .array(z.array(z.number().positive()).min(1))
    .length(5)
    .default([[12], [18], [27], [40], [60]])
    .describe('Anchor sizes (√area, pixels) of each of the 5 pyramid levels, finest first'),
  aspectRatios: z
    .array(z.number().positive())
    .min(1)
    .default([0.5, 1, 2])
    .describe('Anchor aspect ratios h/w, the same at every level'),
  rpnPreNmsTopNTrain: count(200, 'Best proposals kept per level before NMS, training (torchvision: 2000)'),
  rpnPreNmsTopNTest: count(100, 'Best proposals kept per level before NMS, inference (torchvision: 1000)'),
  rpnPostNmsTopNTrain: count(100, 'Proposals kept after NMS, training (torchvision: 2000)'),
  rpnPostNmsTopNTest: count(50, 'Proposals kept after NMS, inference: the RoIs scored (torchvision: 1000)'),
  rpnNmsThreshold: fraction(0.7, 'IoU above which the RPN suppresses a proposal'),
  rpnBatchSizePerImage: count(256, 'Anchors sampled per image for the RPN loss'),
  rpnPositiveFraction: fraction(0.5, "Largest positive share of the RPN's anchor sample"),
  roiSamples: count(64, 'RoIs sampled per image for the box head in training (torchvision: 512)'),
  roiPositiveFraction: fraction(0.25, 'Largest positive share of the RoI sample'),
  representationSize: count(256, "Width of the box head's two fully connected layers (torchvision: 1024)"),
  canonicalScale: z
    .number()
    .positive()
    .default(112)
    .describe(
      'RoI size pooled from the canonical level 4 (torchvision: 224; the CIFAR stem makes the pyramid one level finer)',
    ),
});

/** The `fasterrcnn` options (a preset's values under the given ones); every field has a default. */
export const fasterRcnnOptionsSchema = withPresets(FASTER_RCNN_PRESETS, fields);

/** Options of the `fasterrcnn` model as written (every field optional). */
export type FasterRcnnConfig = z.input<typeof fields>;
/** Options of the `fasterrcnn` model with their defaults filled in. */
export type FasterRcnnSettings = z.output<typeof fasterRcnnOptionsSchema>;
