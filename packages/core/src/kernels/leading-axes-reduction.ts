/**
 * `Sum` and `Mean` over the leading axes of a float32 tensor (per-channel statistics of NHWC
 * activations, bias and batch-norm gradients) as XNNPACK average pooling, one read of the data,
 * instead of the wasm backend's own kernels, which first transpose the whole tensor so that
 * the reduced axes become the innermost ones (about 15× slower on ResNet activations).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { withScope, type KernelArgs, type WasmScope } from './wasm-context';
import { backendKernel } from './wrapped-kernels';

type ReductionName = 'Sum' | 'Mean';

/** Whether `axes` are exactly the leading axes of `shape`, leaving at least one axis. */
function areLeadingAxes(shape: number[], axes: number[]): boolean {
  const sorted = [...axes].sort((a, b) => a - b);
  return sorted.length > 0 && sorted.length < shape.length && sorted.every((axis, i) => axis === i);
}

/**
 * Splits the leading `count` dims into `[outer, inner]` blocks, `inner` as close to the square
 * root of their product as the dims allow: pooling in two levels keeps the float32 sums short.
 */
function twoLevelSplit(shape: number[], count: number): [number, number] {
  const rows = tf.util.sizeFromShape(shape.slice(0, count));
  let best: [number, number] = [1, rows];
  for (let j = 1; j < count; j++) {
    const inner = tf.util.sizeFromShape(shape.slice(j, count));
    if (Math.abs(Math.log(inner / Math.sqrt(rows))) < Math.abs(Math.log(best[1] / Math.sqrt(rows)))) {
      best = [rows / inner, inner];
    }
  }
  return best;
}

/** Means over the first axis of `x` viewed as `[rows, channels]`, as `[1, 1, 1, channels]`. */
function poolRows(
  scope: WasmScope,
  x: TensorInfo,
  outer: number,
  inner: number,
  channels: number,
): TensorInfo {
  const pool = (t: TensorInfo, blocks: number, size: number) =>
    scope.run(
      'AvgPool',
      { x: scope.reshape(t, [blocks, size, 1, channels]) },
      { filterSize: [size, 1], strides: 1, pad: 'valid' },
    );
  const blockMeans = pool(x, outer, inner);
  return outer > 1 ? pool(blockMeans, 1, outer) : blockMeans;
}

function reduceLeadingAxes(name: ReductionName, args: KernelArgs): TensorInfo {
  const { x } = args.inputs;
  const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
  const axes = tf.util.parseAxisParam(axis, x.shape);
  if (x.dtype !== 'float32' || x.shape.includes(0) || !areLeadingAxes(x.shape, axes)) {
    return backendKernel(name)(args as Parameters<KernelFunc>[0]) as TensorInfo;
  }
  const kept = x.shape.slice(axes.length);
  const channels = tf.util.sizeFromShape(kept);
  const [outer, inner] = twoLevelSplit(x.shape, axes.length);
  return withScope(args.backend, (scope) => {
    const means = poolRows(scope, x, outer, inner, channels);
    if (name === 'Sum') {
      const values = scope.f32(means);
      for (let c = 0; c < channels; c++) values[c] *= outer * inner;
    }
    return scope.keep(scope.reshape(means, keepDims ? [...axes.map(() => 1), ...kept] : kept));
  });
}

function reductionConfig(name: ReductionName): KernelConfig {
  return {
    kernelName: name,
    backendName: 'wasm',
    kernelFunc: ((args: KernelArgs) => reduceLeadingAxes(name, args)) as unknown as KernelFunc,
  };
}

/** `Sum`, with leading-axes reductions done by pooling. */
export const sumConfig = reductionConfig('Sum');
/** `Mean`, with leading-axes reductions done by pooling. */
export const meanConfig = reductionConfig('Mean');
