/**
 * The gradient of `FusedBatchNorm`, the kernel behind `tf.batchNorm` and every
 * `tf.layers.batchNormalization`: y = (x − mean)·s + offset with s = scale/√(variance + ε).
 *
 * tfjs-core's own gradient materializes the per-channel factor with `tile` (a full-size copy
 * per batch norm) and builds every parameter gradient from products of full-size tensors:
 * `Tile` alone was 60% of the kernel time of a ResNet written with `tf.batchNorm` on wasm.
 * Here the full-size work is one per-channel scaling for dx and, for the parameters, the two
 * sums they all share, Σdy and Σdy·(x − mean), taken once over the reduced axes. This replaces
 * the gradient through `tf.registerGradient` (for every model and backend, tfjs-layers'
 * included) rather than offering a layer of our own, because users' models call `tf.batchNorm`.
 *
 * The sums are computed when the gradient is built, not inside the per-input closures: tfjs
 * runs each closure in its own `tidy`, so a sum shared between closures could not outlive the
 * first one. Training needs all five gradients anyway; a gradient for x alone (an attack on a
 * model in eval mode) pays for the two sums, still fewer passes than tfjs's own.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs-core';
import { scaleShift } from '../nn/channelwise';

/** Sums `t` over the axes along which `shape` is broadcast to `t`'s shape, as `shape`. */
function sumTo(t: Tensor, shape: number[]): Tensor {
  const axes = tf.backend_util.getReductionAxes(shape, t.shape);
  return tf.reshape(axes.length > 0 ? tf.sum(t, axes) : t, shape);
}

function gradFunc(dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) {
  const grad = dy as Tensor;
  const [x, mean, variance, scale] = saved as [Tensor, Tensor, Tensor, Tensor | undefined];
  const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
  const invStd = tf.rsqrt(tf.add(variance, varianceEpsilon));
  const factor = scale ? tf.mul(scale, invStd) : invStd;
  // Parameters of one shape (the usual per-channel [C] vectors) let every parameter gradient
  // be a factor times Σdy or Σdy·(x − mean) over that shape's reduced axes.
  const shape = mean.shape;
  const uniform = [variance, factor].every((t) => tf.util.arraysEqual(t.shape, shape));
  // Per-channel parameters make x − mean and dy·factor per-channel affine maps: one depthwise
  // pass each (`scaleShift`), where broadcasting ops are slower on wasm.
  const channels = x.shape[x.rank - 1];
  const perChannel = uniform && mean.size === channels && shape[shape.length - 1] === channels;
  const asVector = (t: Tensor) => tf.reshape(t, [channels]);
  const centered = perChannel ? scaleShift(x, tf.ones([channels]), tf.neg(asVector(mean))) : tf.sub(x, mean);
  const sumDy = sumTo(grad, shape);
  const sumDyCentered = sumTo(tf.mul(grad, centered), shape);
  return {
    x: () => (perChannel ? scaleShift(grad, asVector(factor)) : tf.mul(grad, factor)),
    mean: () => (uniform ? tf.neg(tf.mul(sumDy, factor)) : tf.neg(sumTo(tf.mul(grad, factor), shape))),
    variance: () => {
      // ∂y/∂variance = −½·(x − mean)·scale·invStd³ = −½·(x − mean)·factor·invStd².
      const perValue = tf.mul(tf.mul(factor, tf.square(invStd)), -0.5);
      return uniform
        ? tf.mul(sumDyCentered, perValue)
        : sumTo(tf.mul(tf.mul(grad, centered), perValue), variance.shape);
    },
    scale: () => {
      if (!scale) throw new Error('perturb: FusedBatchNorm has no scale to differentiate');
      return uniform && tf.util.arraysEqual(scale.shape, shape)
        ? tf.mul(sumDyCentered, invStd)
        : sumTo(tf.mul(tf.mul(grad, centered), invStd), scale.shape);
    },
    // tf.batchNorm requires offset to have mean's rank; tfjs checks that the shapes agree.
    offset: () => tf.clone(sumDy), // a new tensor: tfjs may free a gradient once it is used
  };
}

/** `FusedBatchNorm`'s gradient without full-size tiles or products beyond the two it needs. */
export const fusedBatchNormGradConfig: GradConfig = {
  kernelName: 'FusedBatchNorm',
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc,
};
