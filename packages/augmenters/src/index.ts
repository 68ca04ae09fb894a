/**
 * @perturb/augmenters: classic augmenters (crop, flip, cutout, mixup, CutMix, pixel PGD) and
 * the combinators that compose any `Augmenter` (`pipeline`, `oneOf`, `randomApply`, `mixClean`).
 */
export type { AugmenterOptions } from './options';
export { randomCrop } from './crop';
export type { RandomCropOptions } from './crop';
export { horizontalFlip } from './flip';
export type { HorizontalFlipOptions } from './flip';
export { cutout } from './cutout';
export type { CutoutOptions } from './cutout';
export { mixup } from './mixup';
export type { MixupOptions } from './mixup';
export { cutmix } from './cutmix';
export type { CutmixOptions } from './cutmix';
export { pixelPgd, pixelPgdSchema, pixelPgdDefinition, PIXEL_PGD_PRESETS } from './pixel-pgd';
export type { PixelPgdOptions, PixelPgdPreset } from './pixel-pgd';
export { pipeline, combineLossStages } from './combinators/pipeline';
export { oneOf } from './combinators/one-of';
export { randomApply } from './combinators/random-apply';
export type { RandomApplyOptions } from './combinators/random-apply';
export { mixClean } from './combinators/mix-clean';
export type { MixCleanOptions } from './combinators/mix-clean';
