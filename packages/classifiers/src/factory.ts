import { PerturbError } from '@perturb/core';
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
