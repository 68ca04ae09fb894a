/**
 * One image on the host, HWC, float values in [0, 1], and the pixel arithmetic the operations of
 * AutoAugment, RandAugment and TrivialAugment share. The operations run on the host: they are
 * per-sample, branchy and cheap on 32×32 images, and host code gives the same pixels on every
 * tfjs backend.
 */

/** An image of `height`×`width`×`channels` values, row-major HWC. */
export interface Image {
  readonly data: Float32Array;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

/** An image of the same shape as `like` holding `data`. */
export function withData(like: Image, data: Float32Array): Image {
  return { data, height: like.height, width: like.width, channels: like.channels };
}

/** Clamps a value into [0, 1]. */
export function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}

/** `ratio·a + (1 − ratio)·b`, clamped into [0, 1] (torchvision's `_blend`; PIL's `ImageEnhance`). */
export function blend(a: Image, b: Float32Array, ratio: number): Image {
  const out = new Float32Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = clamp01(ratio * a.data[i] + (1 - ratio) * b[i]);
  return withData(a, out);
}

/**
 * The luma of each pixel, repeated over the channels. RGB uses ITU-R 601 weights as torchvision's
 * `rgb_to_grayscale`; one channel is its own luma; other channel counts use the channel mean.
 */
export function grayscale(image: Image): Float32Array {
  const { data, channels } = image;
  const weights = channels === 3 ? [0.2989, 0.587, 0.114] : new Array<number>(channels).fill(1 / channels);
  const out = new Float32Array(data.length);
  for (let p = 0; p < data.length; p += channels) {
    let luma = 0;
    for (let k = 0; k < channels; k++) luma += weights[k] * data[p + k];
    out.fill(luma, p, p + channels);
  }
  return out;
}
