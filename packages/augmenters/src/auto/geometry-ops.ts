/**
 * The geometric operations: each output pixel reads the input at a mapped position (backward
 * mapping), by nearest or bilinear sampling, and positions outside the image read `fill`.
 * Coordinates are pixel indices; conventions follow torchvision (and PIL, which it matches).
 */
import type { PointMap } from '../boxes';
import { type Image, withData } from './image';

/** How geometric operations read between and outside pixels. */
export interface Sampling {
  /** `'nearest'` (torchvision's default for these policies) or `'bilinear'`. */
  readonly interpolation: 'nearest' | 'bilinear';
  /** The value read outside the image. */
  readonly fill: number;
}

/** Where output pixel (x, y) reads the input. */
type SourceOf = (x: number, y: number) => readonly [number, number];

/** The image resampled at `source(x, y)` for every output pixel. */
function resample(image: Image, source: SourceOf, { interpolation, fill }: Sampling): Image {
  const { data, height, width, channels } = image;
  const out = new Float32Array(data.length);
  // One input value, or `fill` outside the image.
  const at = (r: number, c: number, k: number) =>
    r >= 0 && r < height && c >= 0 && c < width ? data[(r * width + c) * channels + k] : fill;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [sx, sy] = source(x, y);
      for (let k = 0; k < channels; k++) {
        let value: number;
        if (interpolation === 'nearest') {
          value = at(Math.round(sy), Math.round(sx), k);
        } else {
          const [r0, c0] = [Math.floor(sy), Math.floor(sx)];
          const [fr, fc] = [sy - r0, sx - c0];
          value =
            (1 - fr) * ((1 - fc) * at(r0, c0, k) + fc * at(r0, c0 + 1, k)) +
            fr * ((1 - fc) * at(r0 + 1, c0, k) + fc * at(r0 + 1, c0 + 1, k));
        }
        out[(y * width + x) * channels + k] = value;
      }
    }
  }
  return withData(image, out);
}

/** Rotates by `degrees` counter-clockwise about the image centre. */
export function rotate(image: Image, degrees: number, sampling: Sampling): Image {
  if (degrees === 0) return image;
  const theta = (degrees * Math.PI) / 180;
  const [cos, sin] = [Math.cos(theta), Math.sin(theta)];
  const [cx, cy] = [(image.width - 1) / 2, (image.height - 1) / 2];
  return resample(
    image,
    (x, y) => [cx + cos * (x - cx) - sin * (y - cy), cy + sin * (x - cx) + cos * (y - cy)],
    sampling,
  );
}

/**
 * Where {@link rotate} sends a point of a `width`×`height` image, in edge coordinates (pixel
 * column c spans [c, c + 1], so the centre pixel index (W − 1)/2 is the point W/2): the inverse
 * of the position each output pixel reads.
 */
export function rotatePoints(degrees: number, width: number, height: number): PointMap {
  const theta = (degrees * Math.PI) / 180;
  const [cos, sin] = [Math.cos(theta), Math.sin(theta)];
  const [cx, cy] = [width / 2, height / 2];
  return (x, y) => [cx + cos * (x - cx) + sin * (y - cy), cy - sin * (x - cx) + cos * (y - cy)];
}

/** Shears along x about the top-left corner: pixel (x, y) reads (x + shear·y, y), as PIL's affine (1, shear, 0, 0, 1, 0). */
export function shearX(image: Image, shear: number, sampling: Sampling): Image {
  if (shear === 0) return image;
  return resample(image, (x, y) => [x + shear * y, y], sampling);
}

/** Shears along y about the top-left corner: pixel (x, y) reads (x, y + shear·x). */
export function shearY(image: Image, shear: number, sampling: Sampling): Image {
  if (shear === 0) return image;
  return resample(image, (x, y) => [x, y + shear * x], sampling);
}

/** Moves the content right by `pixels`, truncated to whole pixels as torchvision's `int(magnitude)`. */
export function translateX(image: Image, pixels: number, sampling: Sampling): Image {
  const shift = Math.trunc(pixels);
  if (shift === 0) return image;
  return resample(image, (x, y) => [x - shift, y], sampling);
}

/** Moves the content down by `pixels`, truncated to whole pixels. */
export function translateY(image: Image, pixels: number, sampling: Sampling): Image {
  const shift = Math.trunc(pixels);
  if (shift === 0) return image;
  return resample(image, (x, y) => [x, y - shift], sampling);
}

/**
 * Scales by `scale` about the top-left corner and moves the result by (`left`, `top`) pixels:
 * input pixel centre (c, r) lands at (left + scale·(c + ½) − ½, top + scale·(r + ½) − ½), so a
 * whole-number scale with nearest sampling repeats each pixel `scale` times.
 */
export function zoom(image: Image, scale: number, left: number, top: number, sampling: Sampling): Image {
  if (scale === 1 && left === 0 && top === 0) return image;
  return resample(image, (x, y) => [(x + 0.5 - left) / scale - 0.5, (y + 0.5 - top) / scale - 0.5], sampling);
}

/** Where {@link zoom} sends a point, in edge coordinates: (left + scale·x, top + scale·y). */
export function zoomPoints(scale: number, left: number, top: number): PointMap {
  return (x, y) => [left + scale * x, top + scale * y];
}
