/**
 * Gradients of `Sum` and `Mean` that broadcast dy to the input's shape in one write. tfjs-core's
 * own multiply dy by a full-size tensor of ones (a fill and a broadcasting multiply, and for
 * `Mean` a third full pass to divide), and `tf.moments`, which every `tf.batchNorm` model and
 * `tf.layers.batchNormalization` computes statistics with, takes two means of a full-size
 * tensor per batch norm. `tf.broadcastTo` runs `Tile`, which perturb's wasm kernel does as a
 * block copy (`copy-kernels.ts`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs-core';

/** dy of a reduction over `axes` of `x`, spread back over x's shape and multiplied by `factor`. */
function spread(dy: Tensor, x: Tensor, axes: number[], factor: number): Tensor {
  const kept = x.shape.map((size, axis) => (axes.includes(axis) ? 1 : size));
  const scaled = factor === 1 ? dy : tf.mul(dy, factor);
  return tf.broadcastTo(tf.reshape(scaled, kept), x.shape);
}

function reductionGradConfig(kernelName: 'Sum' | 'Mean'): GradConfig {
  return {
    kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const [x] = saved;
      const axes = tf.util.parseAxisParam((attrs as unknown as { axis: number | number[] }).axis, x.shape);
      const count = axes.reduce((n, axis) => n * x.shape[axis], 1);
      return { x: () => spread(dy as Tensor, x, axes, kernelName === 'Mean' ? 1 / count : 1) };
    },
  };
}

/** `Sum`'s gradient: dy broadcast over the summed axes. */
export const sumGradConfig = reductionGradConfig('Sum');
/** `Mean`'s gradient: dy / count broadcast over the averaged axes. */
export const meanGradConfig = reductionGradConfig('Mean');
