/** `UnsortedSegmentSum` on wasm: one pass over the data on the wasm heap. */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { withScope, type KernelArgs } from './wasm-context';

/**
 * out[segmentIds[i], ...] += x[i, ...] over the leading `segmentIds.size` rows of x. Ids outside
 * `[0, numSegments)` are dropped, as TensorFlow does.
 */
function unsortedSegmentSum(args: KernelArgs): TensorInfo {
  const { x, segmentIds } = args.inputs;
  const numSegments = (args.attrs as unknown as { numSegments: number }).numSegments;
  return withScope(args.backend, (scope) => {
    const rows = tf.util.sizeFromShape(segmentIds.shape);
    const rowSize = rows === 0 ? 0 : tf.util.sizeFromShape(x.shape) / rows;
    const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
    const out = scope.track(scope.backend.makeOutput(outShape, x.dtype));
    const view = x.dtype === 'int32' ? scope.i32.bind(scope) : scope.f32.bind(scope);
    const dst = view(out);
    dst.fill(0);
    const src = view(x);
    const ids = scope.i32(segmentIds);
    for (let i = 0; i < rows; i++) {
      const segment = ids[i];
      if (segment < 0 || segment >= numSegments) continue;
      const from = i * rowSize;
      const to = segment * rowSize;
      for (let k = 0; k < rowSize; k++) dst[to + k] += src[from + k];
    }
    return scope.keep(out);
  });
}

/** `UnsortedSegmentSum`, which the wasm backend lacks (gradient of `gather`). */
export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: 'UnsortedSegmentSum',
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum as unknown as KernelFunc,
};
