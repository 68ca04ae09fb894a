/**
 * `BatchMatMul` with a transposed operand as an explicit transpose and the backend's
 * untransposed product. The wasm backend's XNNPACK path takes untransposed operands only; its
 * transposed cases are about ten times slower, and both gradients of every dense layer are such
 * products (dy·Wᵀ for the input, xᵀ·dy for the weight): for a Faster R-CNN box head's
 * 512 × 3136 → 256 layer, 345 and 322 ms against 25 ms for the forward product.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { type KernelArgs, withScope } from './wasm-context';
import { backendKernel } from './wrapped-kernels';

/** The permutation that swaps the last two of `rank` axes. */
function lastTwoSwapped(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return perm;
}

function batchMatMul(args: KernelArgs): TensorInfo {
  const own = backendKernel('BatchMatMul');
  const { a, b } = args.inputs;
  const attrs = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
  if ((!attrs.transposeA && !attrs.transposeB) || a.dtype !== 'float32' || b.dtype !== 'float32') {
    return own(args as Parameters<KernelFunc>[0]) as TensorInfo;
  }
  return withScope(args.backend, (scope) => {
    const upright = (t: TensorInfo, transposed: boolean) =>
      transposed ? scope.transpose(t, lastTwoSwapped(t.shape.length)) : t;
    // The product is the kernel's result, made outside the scope, so it outlives the transposes.
    return own({
      inputs: { a: upright(a, attrs.transposeA), b: upright(b, attrs.transposeB) },
      backend: args.backend,
      attrs: { ...args.attrs, transposeA: false, transposeB: false },
    } as unknown as Parameters<KernelFunc>[0]) as TensorInfo;
  });
}

/** float32 `BatchMatMul` with transposed operands as transposes and an untransposed product. */
export const batchMatMulConfig: KernelConfig = {
  kernelName: 'BatchMatMul',
  backendName: 'wasm',
  kernelFunc: batchMatMul as unknown as KernelFunc,
};
