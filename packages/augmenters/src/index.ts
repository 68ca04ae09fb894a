/**
 * @perturb/augmenters: classic augmenters (crop, center crop, resize, flip, pad, scale, rotate — they
 * move label maps and object boxes too, for segmentation and detection — cutout, mixup, CutMix, AutoAugment,
 * RandAugment, TrivialAugment, AugMix, pixel PGD) and the combinators that compose any `Augmenter`
 * (`pipeline`, `oneOf`, `randomApply`, `mixClean`).
 * Importing it registers each of them in core's `augmenters` registry, under its factory's
 * name, so configs can name them; every `…Options` schema checks that factory's options.
 */
export { augmenterOptions } from './options';
export type { AugmenterOptions } from './options';
export { randomCrop, randomCropOptions } from './crop';
export type { RandomCropOptions } from './crop';
export { centerCrop, centerCropOptions } from './center-crop';
export type { CenterCropOptions } from './center-crop';
export { resize, resizeOptions } from './resize';
export type { ResizeOptions } from './resize';
export { horizontalFlip, horizontalFlipOptions } from './flip';
export { pad, padOptions } from './pad';
export type { PadOptions } from './pad';
export { randomScale, randomScaleOptions } from './scale';
export type { RandomScaleOptions } from './scale';
export { randomRotate, randomRotateOptions } from './rotate';
export type { RandomRotateOptions } from './rotate';
export type { HorizontalFlipOptions } from './flip';
export { cutout, cutoutOptions } from './cutout';
export type { CutoutOptions } from './cutout';
export { mixup, mixupOptions } from './mixup';
export type { MixupOptions } from './mixup';
export { cutmix, cutmixOptions } from './cutmix';
export type { CutmixOptions } from './cutmix';
export { pixelPgd, pixelPgdSchema, pixelPgdDefinition, PIXEL_PGD_PRESETS } from './pixel-pgd';
export type { PixelPgdOptions, PixelPgdPreset } from './pixel-pgd';
export { pipeline } from './combinators/pipeline';
export { oneOf, oneOfOptions } from './combinators/one-of';
export type { OneOfOptions } from './combinators/one-of';
export { randomApply, randomApplyOptions } from './combinators/random-apply';
export type { RandomApplyOptions } from './combinators/random-apply';
export { mixClean, mixCleanOptions } from './combinators/mix-clean';
export type { MixCleanOptions } from './combinators/mix-clean';
export { randAugment, randAugmentOptions } from './rand-augment';
export type { RandAugmentOptions } from './rand-augment';
export { trivialAugment, trivialAugmentOptions } from './trivial-augment';
export type { TrivialAugmentOptions } from './trivial-augment';
export { autoAugment, autoAugmentOptions } from './auto-augment';
export type { AutoAugmentOptions } from './auto-augment';
export { augMix, augMixOptions, jensenShannon } from './augmix';
export type { AugMixOptions } from './augmix';
