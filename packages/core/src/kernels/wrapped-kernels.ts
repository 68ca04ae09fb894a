/**
 * The wasm backend's own kernels that perturb's faster versions replace, kept for the cases the
 * faster ones do not cover.
 */
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';

/** Kernels perturb replaces on wasm while keeping the backend's own as the fallback. */
export type WrappableKernel =
  | 'Sum'
  | 'Mean'
  | 'Concat'
  | 'SplitV'
  | 'Slice'
  | 'Tile'
  | 'Reverse'
  | 'GatherV2'
  | 'Cast'
  | 'FusedBatchNorm'
  | 'BatchMatMul';

const replaced = new Map<string, KernelFunc>();

/** The backend's own kernel `name`, which perturb's replacement falls back to. */
export function backendKernel(name: WrappableKernel): KernelFunc {
  const kernel = replaced.get(name);
  if (!kernel) throw new Error(`perturb: the wasm backend's own ${name} kernel was not recorded`);
  return kernel;
}

/**
 * Remembers the backend's kernel that `config` replaces and returns the config to register,
 * carrying the replaced kernel's setup function.
 */
export function wrapBackendKernel(config: KernelConfig, current: KernelConfig): KernelConfig {
  replaced.set(config.kernelName, current.kernelFunc);
  return { ...config, setupFunc: current.setupFunc };
}
