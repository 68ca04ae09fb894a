/** The published AutoAugment policies: sub-policies of two (op, probability, magnitude bin) steps. */
import type { SPACES } from './spaces';

/** An op of AutoAugment's space. */
export type AutoAugmentOp = keyof typeof SPACES.autoAugment;

/** One step of a sub-policy: the op, its probability, and its magnitude bin (of 10) when it has one. */
export type PolicyStep = readonly [op: AutoAugmentOp, p: number, bin?: number];

/** A sub-policy: two steps applied in order. */
export type SubPolicy = readonly [PolicyStep, PolicyStep];

/**
 * The CIFAR-10 policy found by Cubuk et al. 2019 (its 25 sub-policies, as listed in torchvision's
 * `_get_policies(AutoAugmentPolicy.CIFAR10)`).
 */
const CIFAR10: readonly SubPolicy[] = [
  [
    ['invert', 0.1],
    ['contrast', 0.2, 6],
  ],
  [
    ['rotate', 0.7, 2],
    ['translateX', 0.3, 9],
  ],
  [
    ['sharpness', 0.8, 1],
    ['sharpness', 0.9, 3],
  ],
  [
    ['shearY', 0.5, 8],
    ['translateY', 0.7, 9],
  ],
  [
    ['autoContrast', 0.5],
    ['equalize', 0.9],
  ],
  [
    ['shearY', 0.2, 7],
    ['posterize', 0.3, 7],
  ],
  [
    ['color', 0.4, 3],
    ['brightness', 0.6, 7],
  ],
  [
    ['sharpness', 0.3, 9],
    ['brightness', 0.7, 9],
  ],
  [
    ['equalize', 0.6],
    ['equalize', 0.5],
  ],
  [
    ['contrast', 0.6, 7],
    ['sharpness', 0.6, 5],
  ],
  [
    ['color', 0.7, 7],
    ['translateX', 0.5, 8],
  ],
  [
    ['equalize', 0.3],
    ['autoContrast', 0.4],
  ],
  [
    ['translateY', 0.4, 3],
    ['sharpness', 0.2, 6],
  ],
  [
    ['brightness', 0.9, 6],
    ['color', 0.2, 8],
  ],
  [
    ['solarize', 0.5, 2],
    ['invert', 0.0],
  ],
  [
    ['equalize', 0.2],
    ['autoContrast', 0.6],
  ],
  [
    ['equalize', 0.2],
    ['equalize', 0.6],
  ],
  [
    ['color', 0.9, 9],
    ['equalize', 0.6],
  ],
  [
    ['autoContrast', 0.8],
    ['solarize', 0.2, 8],
  ],
  [
    ['brightness', 0.1, 3],
    ['color', 0.7, 0],
  ],
  [
    ['solarize', 0.4, 5],
    ['autoContrast', 0.9],
  ],
  [
    ['translateY', 0.9, 9],
    ['translateY', 0.7, 9],
  ],
  [
    ['autoContrast', 0.9],
    ['solarize', 0.8, 3],
  ],
  [
    ['equalize', 0.8],
    ['invert', 0.1],
  ],
  [
    ['translateY', 0.7, 9],
    ['autoContrast', 0.9],
  ],
];

/** The policies by name. */
export const POLICIES = { cifar10: CIFAR10 };

/** The number of magnitude bins of AutoAugment's space. */
export const AUTO_AUGMENT_BINS = 10;
