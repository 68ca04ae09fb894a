/**
 * The photometric operations, after torchvision's float-image semantics (`transforms.functional`).
 * Each takes the op's value in its own unit (a factor offset, a threshold, a bit count) as drawn
 * from an augmentation space (./spaces.ts); operations without a magnitude ignore it.
 */
import { type Image, blend, clamp01, grayscale, withData } from './image';

/** An 8-bit level of a [0, 1] value: the histogram-based operations work on 256 levels as PIL does. */
function level(value: number): number {
  return Math.round(clamp01(value) * 255);
}

/** Applies `f` to every value. */
function mapValues(image: Image, f: (value: number) => number): Image {
  return withData(image, image.data.map(f));
}

/** Applies `f` to each channel's values (a strided view), writing its result in place of them. */
function perChannel(image: Image, f: (values: Float32Array) => Float32Array): Image {
  const { data, channels } = image;
  const pixels = data.length / channels;
  const out = new Float32Array(data.length);
  for (let k = 0; k < channels; k++) {
    const values = new Float32Array(pixels);
    for (let p = 0; p < pixels; p++) values[p] = data[p * channels + k];
    const mapped = f(values);
    for (let p = 0; p < pixels; p++) out[p * channels + k] = mapped[p];
  }
  return withData(image, out);
}

export function identity(image: Image): Image {
  return image;
}

/** 1 − x. */
export function invert(image: Image): Image {
  return mapValues(image, (v) => 1 - v);
}

/** Stretches each channel linearly to [0, 1]; a constant channel is left as it is. */
export function autoContrast(image: Image): Image {
  return perChannel(image, (values) => {
    let [low, high] = [Infinity, -Infinity];
    for (const v of values) [low, high] = [Math.min(low, v), Math.max(high, v)];
    if (high <= low) return values;
    return values.map((v) => clamp01((v - low) / (high - low)));
  });
}

/**
 * Histogram equalization of each channel on 8-bit levels, with PIL's and torchvision's lookup
 * table: step = (pixels not at the highest occupied level) / 255, level v → ⌊(count below v +
 * ⌊step/2⌋) / step⌋. A channel with a single level (step 0) is left as it is.
 */
export function equalize(image: Image): Image {
  return perChannel(image, (values) => {
    const histogram = new Array<number>(256).fill(0);
    for (const v of values) histogram[level(v)]++;
    const occupied = histogram.filter((count) => count > 0);
    const step = Math.floor((values.length - occupied[occupied.length - 1]) / 255);
    if (step === 0) return values;
    const lut = new Array<number>(256);
    let below = 0;
    for (let v = 0; v < 256; v++) {
      lut[v] = Math.min(255, Math.floor((below + Math.floor(step / 2)) / step));
      below += histogram[v];
    }
    return values.map((v) => lut[level(v)] / 255);
  });
}

/** Inverts every value at or above `threshold` (in [0, 1]; above 1 it is the identity). */
export function solarize(image: Image, threshold: number): Image {
  return mapValues(image, (v) => (v >= threshold ? 1 - v : v));
}

/**
 * Keeps the top `bits` bits of each 8-bit level. At 8 bits the image is returned as it is rather
 * than quantized, so the weakest setting is the identity on any float image.
 */
export function posterize(image: Image, bits: number): Image {
  if (bits >= 8) return image;
  const mask = (0xff << (8 - bits)) & 0xff;
  return mapValues(image, (v) => (level(v) & mask) / 255);
}

/** Scales values by 1 + `value` (a blend with black). */
export function brightness(image: Image, value: number): Image {
  return blend(image, new Float32Array(image.data.length), 1 + value);
}

/** Blends with the grayscale image by 1 + `value`; a one-channel image is its own grayscale. */
export function color(image: Image, value: number): Image {
  return blend(image, grayscale(image), 1 + value);
}

/** Blends with the mean luma of the whole image by 1 + `value`. */
export function contrast(image: Image, value: number): Image {
  const luma = grayscale(image);
  const mean = luma.reduce((sum, v) => sum + v, 0) / luma.length;
  return blend(image, new Float32Array(luma.length).fill(mean), 1 + value);
}

/**
 * Blends with a smoothed image by 1 + `value`: the smoothing kernel is [[1,1,1],[1,5,1],[1,1,1]]/13
 * on interior pixels, and border pixels keep their value (PIL's SMOOTH filter, as torchvision).
 */
export function sharpness(image: Image, value: number): Image {
  const { data, height, width, channels } = image;
  const smooth = Float32Array.from(data);
  for (let r = 1; r < height - 1; r++) {
    for (let c = 1; c < width - 1; c++) {
      for (let k = 0; k < channels; k++) {
        let sum = 4 * data[(r * width + c) * channels + k];
        for (let dr = -1; dr <= 1; dr++) {
          for (let dc = -1; dc <= 1; dc++) sum += data[((r + dr) * width + c + dc) * channels + k];
        }
        smooth[(r * width + c) * channels + k] = sum / 13;
      }
    }
  }
  return blend(image, smooth, 1 + value);
}
