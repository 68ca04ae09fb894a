/** `Identity` and same-dtype `Cast` on wasm sharing the input's storage instead of copying it. */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelArgs, WasmBackendLike } from './wasm-context';
import { backendKernel } from './wrapped-kernels';

/**
 * Tensors are immutable, so a second reference to the same storage, as the backend's `Reshape`
 * and the cpu backend's `Identity` make, is equivalent to a copy.
 */
function share(args: KernelArgs): TensorInfo {
  const { x } = args.inputs;
  (args.backend as WasmBackendLike).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/**
 * tfjs casts float32 to float32 on hot paths (the gradient of every `relu`, `tf.moments`), and
 * the wasm backend's `Cast` copies then too; other casts go to the backend's kernel.
 */
function cast(args: KernelArgs): TensorInfo {
  const { dtype } = args.attrs as unknown as { dtype: string };
  if (args.inputs.x.dtype === dtype) return share(args);
  return backendKernel('Cast')(args as Parameters<KernelFunc>[0]) as TensorInfo;
}

/**
 * `Identity`, replacing the wasm backend's copying one: tfjs runs it (through `clone`) on every
 * tensor it saves for a gradient, about 30 full copies per ResNet block in a training step.
 */
export const identityConfig: KernelConfig = {
  kernelName: 'Identity',
  backendName: 'wasm',
  kernelFunc: share as unknown as KernelFunc,
};

/** `Cast` that shares the storage when the dtype does not change. */
export const castConfig: KernelConfig = {
  kernelName: 'Cast',
  backendName: 'wasm',
  kernelFunc: cast as unknown as KernelFunc,
};
