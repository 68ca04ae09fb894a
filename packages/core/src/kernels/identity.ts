/** `Identity` on wasm sharing the input's storage instead of copying it. */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelArgs, WasmBackendLike } from './wasm-context';

/**
 * tfjs runs `Identity` (through `clone`) on every tensor it saves for a gradient, and the wasm
 * backend's version copies the data: about 30 full copies per ResNet block in a training step.
 * Tensors are immutable, so sharing the storage under a second reference, as the backend's
 * `Reshape` and the cpu backend's `Identity` do, is equivalent.
 */
function identity(args: KernelArgs): TensorInfo {
  const { x } = args.inputs;
  (args.backend as WasmBackendLike).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** `Identity`, replacing the wasm backend's copying one. */
export const identityConfig: KernelConfig = {
  kernelName: 'Identity',
  backendName: 'wasm',
  kernelFunc: identity as unknown as KernelFunc,
};
