/** Names a config may use for augmenters, and the factories behind them. */
import {
  cutmix,
  cutout,
  horizontalFlip,
  mixup,
  pixelPgd,
  randomCrop,
} from '@perturb/augmenters';
import { type Augmenter, PerturbError } from '@perturb/core';
import type { AugmenterConfig } from './config';

type Factory = (options: Record<string, unknown>) => Augmenter;

/** Every augmenter `perturb train` knows, by the name of its factory. */
export const AUGMENTERS: Record<string, Factory> = {
  randomCrop: (o) => randomCrop(o),
  horizontalFlip: (o) => horizontalFlip(o),
  cutout: (o) => cutout(o),
  mixup: (o) => mixup(o),
  cutmix: (o) => cutmix(o),
  pixelPgd: (o) => pixelPgd(o),
};

export function buildAugmenters(configs: AugmenterConfig[]): Augmenter[] {
  return configs.map(({ name, options }) => {
    const factory = AUGMENTERS[name];
    if (!factory) {
      throw new PerturbError(`unknown augmenter "${name}"`, `use one of ${Object.keys(AUGMENTERS).join(', ')}`);
    }
    return factory(options);
  });
}
