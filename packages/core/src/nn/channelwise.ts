/**
 * Per-channel operations on channels-last tensors (the last axis is the channel), written with
 * the kernels that are fast on wasm: reductions over the leading axes (perturb's wasm `Sum` and
 * `Mean` pool instead of transposing) and a 1×1 depthwise convolution for per-channel affine
 * maps, one XNNPACK pass where a broadcasting multiply and add take two slower passes.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The axes of `x` other than the last (the channel axis). */
function leadingAxes(x: tf.Tensor): number[] {
  return Array.from({ length: x.rank - 1 }, (_, i) => i);
}

/**
 * Per-channel sums over every axis but the last: `[..., C]` → `[C]`. On wasm this is one read
 * of `x` (average pooling) instead of a transpose and a reduction.
 */
export function channelSums(x: tf.Tensor): tf.Tensor1D {
  return tf.sum(x, leadingAxes(x));
}

/** Per-channel means over every axis but the last: `[..., C]` → `[C]`. Fast on wasm like `channelSums`. */
export function channelMeans(x: tf.Tensor): tf.Tensor1D {
  return tf.mean(x, leadingAxes(x));
}

/**
 * `x·scale + shift` per channel (`scale` and `shift` `[C]`; `shift` omitted means 0), as a 1×1
 * depthwise convolution. Meant for gradient code and custom gradients: differentiating through
 * it takes the depthwise-convolution gradients, which are slow; `channelAffine` is the
 * differentiable version.
 */
export function scaleShift<T extends tf.Tensor>(x: T, scale: tf.Tensor, shift?: tf.Tensor): T {
  const channels = x.shape[x.rank - 1];
  const image =
    x.rank === 4
      ? (x as unknown as tf.Tensor4D)
      : tf.reshape<tf.Rank.R4>(x, [1, x.size / channels, 1, channels]);
  const filter = tf.reshape<tf.Rank.R4>(scale, [1, 1, channels, 1]);
  const y = shift
    ? tf.fused.depthwiseConv2d({ x: image, filter, strides: 1, pad: 'valid', bias: shift })
    : tf.depthwiseConv2d(image, filter, 1, 'valid');
  return (x.rank === 4 ? y : tf.reshape(y, x.shape)) as T;
}

/**
 * Differentiable per-channel affine map `x·scale + shift` over the last axis (`scale`, `shift`
 * `[C]`), e.g. ActNorm. One fused pass forward, and the gradients are one more such pass plus
 * two per-channel reductions, where broadcasting `mul`/`add` cost several full passes on wasm.
 */
export function channelAffine<T extends tf.Tensor>(x: T, scale: tf.Tensor1D, shift: tf.Tensor1D): T {
  const affine = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, s, b, save] = args as [T, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    save([input, s]);
    return {
      value: scaleShift(input, s, b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [inputSaved, scaleSaved] = saved;
        return [scaleShift(dy, scaleSaved), channelSums(tf.mul(dy, inputSaved)), channelSums(dy)];
      },
    };
  });
  return affine(x, scale, shift) as T;
}
