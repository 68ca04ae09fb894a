/**
 * `FusedBatchNorm` (tf.batchNorm, tf.layers.batchNormalization) on wasm as one 1×1 depthwise
 * convolution with bias, XNNPACK's per-channel affine pass, when the statistics and parameters
 * are per-channel vectors: the backend's own kernel indexes each of its four parameter inputs
 * per value, and took about 3× a depthwise pass over the same tensor in a ResNet step's profile.
 * The per-channel factor γ/√(σ² + ε) and shift β − μ·factor are folded on the host in float64.
 * Other inputs go to the backend's kernel.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { withScope, type KernelArgs } from './wasm-context';
import { backendKernel } from './wrapped-kernels';

/** Whether `t` holds one value per channel of the last axis (`[C]`, `[1, 1, 1, C]`, …). */
function perChannel(t: TensorInfo, channels: number): boolean {
  const size = t.shape.reduce((a, b) => a * b, 1);
  return t.dtype === 'float32' && size === channels && t.shape[t.shape.length - 1] === channels;
}

function fusedBatchNorm(args: KernelArgs): TensorInfo {
  const { x, mean, variance, offset, scale } = args.inputs;
  const { varianceEpsilon } = args.attrs as unknown as { varianceEpsilon: number };
  const channels = x.shape[x.shape.length - 1];
  const params = [mean, variance, offset, scale].filter((t): t is TensorInfo => t != null);
  if (
    x.dtype !== 'float32' ||
    x.shape.length !== 4 ||
    x.shape.includes(0) ||
    !params.every((t) => perChannel(t, channels))
  ) {
    return backendKernel('FusedBatchNorm')(args as Parameters<KernelFunc>[0]) as TensorInfo;
  }
  return withScope(args.backend, (scope) => {
    const filter = scope.alloc([1, 1, channels, 1]);
    const bias = scope.alloc([channels]);
    // Views are taken after the allocations, which may grow (and move) the heap.
    const [f, b, m, v] = [filter, bias, mean, variance].map((t) => scope.f32(t));
    const s = scale ? scope.f32(scale) : null;
    const o = offset ? scope.f32(offset) : null;
    for (let c = 0; c < channels; c++) {
      const factor = (s ? s[c] : 1) / Math.sqrt(v[c] + varianceEpsilon);
      f[c] = factor;
      b[c] = (o ? o[c] : 0) - m[c] * factor;
    }
    return scope.keep(
      scope.run(
        'FusedDepthwiseConv2D',
        { x, filter, bias },
        { strides: [1, 1], pad: 'valid', dilations: [1, 1], dataFormat: 'NHWC', activation: 'linear' },
      ),
    );
  });
}

/** `FusedBatchNorm` with per-channel parameters as one XNNPACK depthwise pass. */
export const fusedBatchNormConfig: KernelConfig = {
  kernelName: 'FusedBatchNorm',
  backendName: 'wasm',
  kernelFunc: fusedBatchNorm as unknown as KernelFunc,
};
