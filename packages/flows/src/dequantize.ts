/** Uniform dequantization of discrete images, which turns a density into a bound on bits/dim. */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@perturb/core';

/** Options of `dequantize`. */
export interface DequantizeOptions {
  /** Bits per channel the images are reduced to (n_bins = 2^nBits). Default 8. */
  nBits?: number;
  /** Draws the uniform noise; without it every value goes to the center of its bin. */
  rng?: Rng;
}

/**
 * Images x ∈ [0, 1] holding 8-bit values k/255 → x̃ = (q + u)/n_bins ∈ [0, 1) with
 * q = ⌊round(255·x) / 2^(8−nBits)⌋ and u ~ U(0, 1) (or ½ without an `rng`). For nBits = 8 this
 * is x̃ = k/256 + U(0, 1/256), Glow's dequantization (rounding instead of flooring 255·x so that
 * float error in k/255 cannot drop a value into the bin below).
 */
export function dequantize(x: tf.Tensor4D, options: DequantizeOptions = {}): tf.Tensor4D {
  const nBits = options.nBits ?? 8;
  const nBins = 2 ** nBits;
  return tf.tidy(() => {
    let q = tf.round(tf.mul(x, 255));
    if (nBits < 8) q = tf.floor(tf.div(q, 2 ** (8 - nBits)));
    const noise = options.rng ? options.rng.uniformTensor(x.shape) : tf.scalar(0.5);
    return tf.div(tf.add(q, noise), nBins) as tf.Tensor4D;
  });
}
