import { PerturbError, defineModel, z } from '@perturb/core';
import { EfficientNetB0 } from './models/efficientnet';
import type { EfficientNetB0Options } from './models/efficientnet';
import { LeNet5 } from './models/lenet';
import type { LeNet5Options } from './models/lenet';
import { WideResNet, preActResNet18 } from './models/preact-resnet';
import { cifarResNet, heResNet } from './models/resnet';
import type { SitedClassifier } from './sited';

/** Options of `createClassifier`: the common ones plus those of the models that have their own. */
export interface CreateClassifierOptions extends LeNet5Options, EfficientNetB0Options {}

/** The names `createClassifier` accepts. */
export type ClassifierName =
  | 'resnet18'
  | 'resnet34'
  | 'resnet20'
  | 'resnet32'
  | 'resnet44'
  | 'resnet56'
  | 'resnet110'
  | 'preact-resnet18'
  | 'wrn-28-10'
  | 'lenet5'
  | 'efficientnet-b0';

// Typed by the name list, so adding a model without naming it (or the reverse) fails to compile.
const BUILDERS: Record<ClassifierName, (options: CreateClassifierOptions) => SitedClassifier> = {
  resnet18: (o: CreateClassifierOptions) => cifarResNet(18, o),
  resnet34: (o: CreateClassifierOptions) => cifarResNet(34, o),
  resnet20: (o: CreateClassifierOptions) => heResNet(20, o),
  resnet32: (o: CreateClassifierOptions) => heResNet(32, o),
  resnet44: (o: CreateClassifierOptions) => heResNet(44, o),
  resnet56: (o: CreateClassifierOptions) => heResNet(56, o),
  resnet110: (o: CreateClassifierOptions) => heResNet(110, o),
  'preact-resnet18': (o: CreateClassifierOptions) => preActResNet18(o),
  'wrn-28-10': (o: CreateClassifierOptions) => new WideResNet({ ...o, depth: 28, widenFactor: 10 }),
  lenet5: (o: CreateClassifierOptions) => new LeNet5(o),
  'efficientnet-b0': (o: CreateClassifierOptions) => new EfficientNetB0(o),
};

/** Every name `createClassifier` accepts, in the order of the README's table. */
export const CLASSIFIER_NAMES = Object.keys(BUILDERS) as ClassifierName[];

/**
 * Builds a classifier by name (as configs spell it), initialized from `options.rng`.
 * Model-specific options (`inputSize` for LeNet-5, `stemStride` for EfficientNet-B0) are
 * ignored by the other models.
 */
export function createClassifier(name: string, options: CreateClassifierOptions): SitedClassifier {
  if (!Object.hasOwn(BUILDERS, name)) {
    throw new PerturbError(`unknown classifier "${name}"`, `use one of ${CLASSIFIER_NAMES.join(', ')}`);
  }
  return BUILDERS[name as ClassifierName](options);
}

/** One line per model for `perturb list`, and the options a config may give each. */
const DEFINITIONS: Record<ClassifierName, { summary: string; schema: z.ZodType<object> }> = {
  resnet18: { summary: 'CIFAR ResNet-18 (64–512 channels)', schema: z.strictObject({}) },
  resnet34: { summary: 'CIFAR ResNet-34 (64–512 channels)', schema: z.strictObject({}) },
  resnet20: { summary: "He et al.'s CIFAR ResNet-20 (16–64 channels)", schema: z.strictObject({}) },
  resnet32: { summary: "He et al.'s CIFAR ResNet-32", schema: z.strictObject({}) },
  resnet44: { summary: "He et al.'s CIFAR ResNet-44", schema: z.strictObject({}) },
  resnet56: { summary: "He et al.'s CIFAR ResNet-56", schema: z.strictObject({}) },
  resnet110: { summary: "He et al.'s CIFAR ResNet-110", schema: z.strictObject({}) },
  'preact-resnet18': { summary: 'Pre-activation ResNet-18', schema: z.strictObject({}) },
  'wrn-28-10': { summary: 'Wide ResNet 28-10', schema: z.strictObject({}) },
  lenet5: {
    summary: 'LeNet-5',
    schema: z.strictObject({
      inputSize: z
        .union([z.literal(28), z.literal(32)])
        .optional()
        .describe("Side of the input images. Default: the data's when it is 28, else 32."),
    }),
  },
  'efficientnet-b0': {
    summary: 'EfficientNet-B0',
    schema: z.strictObject({
      stemStride: z
        .union([z.literal(1), z.literal(2)])
        .optional()
        .describe('Stride of the stem conv: 1 for 32×32 inputs, 2 for ImageNet-sized ones. Default 1.'),
    }),
  },
};

// Every classifier is a model configs can name (`model: resnet20`), through core's registry.
for (const name of CLASSIFIER_NAMES) {
  defineModel({
    name,
    ...DEFINITIONS[name],
    create: (options, { numClasses, inputShape: [side, , channels], rng }) =>
      BUILDERS[name]({
        ...(name === 'lenet5' && side === 28 ? { inputSize: 28 as const } : {}),
        ...options,
        rng,
        numClasses,
        inChannels: channels,
      }),
  });
}
