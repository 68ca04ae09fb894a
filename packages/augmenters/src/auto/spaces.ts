/**
 * The operations of AutoAugment, RandAugment and TrivialAugment by name, and the augmentation
 * spaces that give each its magnitudes. The ranges are torchvision's (`transforms/autoaugment.py`:
 * `RandAugment._augmentation_space`, `TrivialAugmentWide._augmentation_space`, and
 * `AutoAugment._augmentation_space` with its 10 bins), which follow the papers: Cubuk et al.
 * 2019 (AutoAugment), Cubuk et al. 2020 (RandAugment), Müller & Hutter 2021 (TrivialAugment).
 */
import type { Rng } from '@perturb/core';
import * as color from './color-ops';
import * as geometry from './geometry-ops';
import type { Sampling } from './geometry-ops';
import type { Image } from './image';

/** An operation applied with its value (in the op's own unit) and the geometric sampling. */
type Op = (image: Image, value: number, sampling: Sampling) => Image;

/** Every operation, by the name the policies use. */
export const OPS = {
  identity: color.identity,
  shearX: geometry.shearX,
  shearY: geometry.shearY,
  translateX: geometry.translateX,
  translateY: geometry.translateY,
  rotate: geometry.rotate,
  brightness: color.brightness,
  color: color.color,
  contrast: color.contrast,
  sharpness: color.sharpness,
  posterize: color.posterize,
  solarize: color.solarize,
  autoContrast: color.autoContrast,
  equalize: color.equalize,
  invert: color.invert,
} satisfies Record<string, Op>;

/** The name of an operation. */
export type OpName = keyof typeof OPS;

/** An op's value at magnitude bin `bin` of `bins` (0 is the weakest), for an image of this size. */
type Magnitude = (bin: number, bins: number, image: Image) => number;

/** An op's entry in a space: its magnitudes (none for identity-like ops) and whether a random sign flips them. */
interface Range {
  readonly magnitude?: Magnitude;
  readonly signed: boolean;
}

/** The ops a policy draws from, with their ranges. */
export type Space = Readonly<Partial<Record<OpName, Range>>>;

/** From 0 at bin 0 up to `max` at the last bin (torch.linspace(0, max, bins)). */
const upTo =
  (max: number): Magnitude =>
  (bin, bins) =>
    (max * bin) / (bins - 1);

/** A fraction of the image's width or height, as torchvision's `150 / 331 * image_size`. */
const fractionOf =
  (fraction: number, side: 'width' | 'height'): Magnitude =>
  (bin, bins, image) =>
    (fraction * image[side] * bin) / (bins - 1);

/** Bits kept: 8 at bin 0, 8 − `span` at the last bin (torchvision: 8 − round(bin / ((bins − 1) / span))). */
const bitsDownBy =
  (span: number): Magnitude =>
  (bin, bins) =>
    8 - Math.round(bin / ((bins - 1) / span));

/**
 * Solarize thresholds from 256/255 at bin 0 (the identity, as in the AutoAugment authors' code
 * and torchvision's AutoAugment) down to 0. torchvision's RandAugment and TrivialAugment start at
 * 255/255, which inverts pure-white pixels even at the weakest bin; this space keeps bin 0 the
 * identity for all three policies.
 */
const solarizeThreshold: Magnitude = (bin, bins) => (256 * (1 - bin / (bins - 1))) / 255;

const signed = (magnitude: Magnitude): Range => ({ magnitude, signed: true });
const unsigned = (magnitude?: Magnitude): Range => ({ magnitude, signed: false });

/** RandAugment's space (and AutoAugment's, which adds invert): moderate ranges. */
const RAND_AUGMENT = {
  identity: unsigned(),
  shearX: signed(upTo(0.3)),
  shearY: signed(upTo(0.3)),
  translateX: signed(fractionOf(150 / 331, 'width')),
  translateY: signed(fractionOf(150 / 331, 'height')),
  rotate: signed(upTo(30)),
  brightness: signed(upTo(0.9)),
  color: signed(upTo(0.9)),
  contrast: signed(upTo(0.9)),
  sharpness: signed(upTo(0.9)),
  posterize: unsigned(bitsDownBy(4)),
  solarize: unsigned(solarizeThreshold),
  autoContrast: unsigned(),
  equalize: unsigned(),
} satisfies Space;

/** The spaces of the three policies. */
export const SPACES = {
  randAugment: RAND_AUGMENT,
  /** TrivialAugment's wide space: larger ranges; translations in absolute pixels (up to 32). */
  trivialAugmentWide: {
    identity: unsigned(),
    shearX: signed(upTo(0.99)),
    shearY: signed(upTo(0.99)),
    translateX: signed(upTo(32)),
    translateY: signed(upTo(32)),
    rotate: signed(upTo(135)),
    brightness: signed(upTo(0.99)),
    color: signed(upTo(0.99)),
    contrast: signed(upTo(0.99)),
    sharpness: signed(upTo(0.99)),
    posterize: unsigned(bitsDownBy(6)),
    solarize: unsigned(solarizeThreshold),
    autoContrast: unsigned(),
    equalize: unsigned(),
  },
  autoAugment: { ...RAND_AUGMENT, invert: unsigned() },
} satisfies Record<string, Space>;

/** An op of a space with its range, as the policies draw them. */
export interface SpaceOp {
  readonly name: OpName;
  readonly range: Range;
}

/** The ops of `space` in a fixed order (the order of its keys), for uniform draws. */
export function opsOf(space: Space): SpaceOp[] {
  return Object.entries(space).map(([name, range]) => ({ name: name as OpName, range }));
}

/**
 * Applies `op` at magnitude bin `bin` of `bins` to `image`, flipping the value's sign with
 * probability ½ from `rng` when the op is signed (a draw made only for signed ops).
 */
export function applyOp(
  { name, range }: SpaceOp,
  bin: number,
  bins: number,
  image: Image,
  sampling: Sampling,
  rng: Rng,
): Image {
  let value = range.magnitude?.(bin, bins, image) ?? 0;
  if (range.signed && rng.bernoulli(0.5)) value = -value;
  return OPS[name](image, value, sampling);
}
