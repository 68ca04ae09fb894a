/**
 * `Sum` and `Mean` over leading axes (N, H, W of an NHWC tensor: batch-norm statistics and
 * their gradients) as one pass over the wasm heap. The wasm backend's own kernels transpose
 * the whole tensor first to make the reduced axes innermost, which doubles their cost.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { withScope, type KernelArgs } from './wasm-context';

/** How many leading axes `axes` reduces, or 0 when they are not exactly a leading prefix. */
function leadingAxisCount(axes: number[]): number {
  const sorted = [...axes].sort((a, b) => a - b);
  return sorted.every((axis, i) => axis === i) ? sorted.length : 0;
}

function reduceLeading(args: KernelArgs, leading: number, average: boolean): TensorInfo {
  const { x } = args.inputs;
  const keepDims = (args.attrs as unknown as { keepDims?: boolean }).keepDims ?? false;
  return withScope(args.backend, (scope) => {
    const rows = tf.util.sizeFromShape(x.shape.slice(0, leading));
    const kept = x.shape.slice(leading);
    const columns = tf.util.sizeFromShape(kept);
    const acc = new Float64Array(columns);
    const src = scope.f32(x);
    for (let r = 0, i = 0; r < rows; r++) {
      for (let c = 0; c < columns; c++, i++) acc[c] += src[i];
    }
    if (average) for (let c = 0; c < columns; c++) acc[c] /= rows;
    const out = scope.alloc(keepDims ? [...Array<number>(leading).fill(1), ...kept] : kept);
    scope.f32(out).set(acc);
    return scope.keep(out);
  });
}

/**
 * A `Sum` or `Mean` kernel that takes the fast path for float32 reductions over a leading
 * prefix of the axes (keeping at least one axis) and hands every other case to `original`.
 */
export function leadingReductionConfig(kernelName: 'Sum' | 'Mean', original: KernelFunc): KernelConfig {
  const kernelFunc = ((args: KernelArgs) => {
    const { x } = args.inputs;
    const axis = (args.attrs as unknown as { axis: number | number[] }).axis;
    const leading = leadingAxisCount(tf.util.parseAxisParam(axis, x.shape));
    if (x.dtype !== 'float32' || leading === 0 || leading === x.shape.length) {
      return original(args as unknown as Parameters<KernelFunc>[0]);
    }
    return reduceLeading(args, leading, kernelName === 'Mean');
  }) as unknown as KernelFunc;
  return { kernelName, backendName: 'wasm', kernelFunc };
}
