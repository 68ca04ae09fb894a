/**
 * `Sum` and `Mean` of a float32 tensor over a block of consecutive axes before the last (the
 * leading axes: per-channel statistics of NHWC activations, bias and batch-norm gradients; or
 * the spatial axes: global average pooling) as XNNPACK average pooling, one read of the data,
 * instead of the wasm backend's own kernels, which first transpose the whole tensor so that
 * the reduced axes become the innermost ones (about 15× slower on ResNet activations).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { withScope, type KernelArgs, type WasmScope } from './wasm-context';
import { backendKernel } from './wrapped-kernels';

type ReductionName = 'Sum' | 'Mean';

/**
 * The axes as one contiguous block `[first, first + count)` that leaves the last axis out, or
 * null: the reductions pooling can do (leading axes for per-channel statistics, `[1, 2]` of
 * NHWC for global average pooling).
 */
function contiguousBlock(shape: number[], axes: number[]): { first: number; count: number } | null {
  const sorted = [...axes].sort((a, b) => a - b);
  const first = sorted[0];
  const contiguous = sorted.every((axis, i) => axis === first + i);
  return sorted.length > 0 && contiguous && first + sorted.length < shape.length
    ? { first, count: sorted.length }
    : null;
}

/**
 * Splits the `rows` reduced values into `[outer, inner]` blocks along the reduced dims `dims`,
 * `inner` as close to √rows as the dims allow: pooling in two levels keeps the float32 sums short.
 */
function twoLevelSplit(dims: number[]): [number, number] {
  const rows = tf.util.sizeFromShape(dims);
  let best: [number, number] = [1, rows];
  for (let j = 1; j < dims.length; j++) {
    const inner = tf.util.sizeFromShape(dims.slice(j));
    if (Math.abs(Math.log(inner / Math.sqrt(rows))) < Math.abs(Math.log(best[1] / Math.sqrt(rows)))) {
      best = [rows / inner, inner];
    }
  }
  return best;
}

/**
 * Means over the middle axis of `x` viewed as `[batch, rows, channels]`, as
 * `[batch, 1, 1, channels]`, the rows pooled as `outer` blocks of `inner`.
 */
function poolRows(
  scope: WasmScope,
  x: TensorInfo,
  batch: number,
  [outer, inner]: [number, number],
  channels: number,
): TensorInfo {
  const pool = (t: TensorInfo, blocks: number, size: number) =>
    scope.run(
      'AvgPool',
      { x: scope.reshape(t, [blocks, size, 1, channels]) },
      { filterSize: [size, 1], strides: 1, pad: 'valid' },
    );
  const blockMeans = pool(x, batch * outer, inner);
  return outer > 1 ? pool(blockMeans, batch, outer) : blockMeans;
}

function reduceByPooling(name: ReductionName, args: KernelArgs): TensorInfo {
  const { x } = args.inputs;
  const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
  const axes = tf.util.parseAxisParam(axis, x.shape);
  const block = contiguousBlock(x.shape, axes);
  if (x.dtype !== 'float32' || x.shape.includes(0) || !block) {
    return backendKernel(name)(args as Parameters<KernelFunc>[0]) as TensorInfo;
  }
  const dims = x.shape.slice(block.first, block.first + block.count);
  const batch = tf.util.sizeFromShape(x.shape.slice(0, block.first));
  const kept = x.shape.slice(block.first + block.count);
  const channels = tf.util.sizeFromShape(kept);
  const count = tf.util.sizeFromShape(dims);
  return withScope(args.backend, (scope) => {
    const means = poolRows(scope, x, batch, twoLevelSplit(dims), channels);
    if (name === 'Sum') {
      const values = scope.f32(means);
      for (let i = 0; i < values.length; i++) values[i] *= count;
    }
    const outShape = x.shape.flatMap((size, i) =>
      i >= block.first && i < block.first + block.count ? (keepDims ? [1] : []) : [size],
    );
    return scope.keep(scope.reshape(means, outShape));
  });
}

function reductionConfig(name: ReductionName): KernelConfig {
  return {
    kernelName: name,
    backendName: 'wasm',
    kernelFunc: ((args: KernelArgs) => reduceByPooling(name, args)) as unknown as KernelFunc,
  };
}

/** `Sum`, with reductions over consecutive axes before the last done by pooling. */
export const sumConfig = reductionConfig('Sum');
/** `Mean`, with reductions over consecutive axes before the last done by pooling. */
export const meanConfig = reductionConfig('Mean');
