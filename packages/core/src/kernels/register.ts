/**
 * Registers the kernels the wasm backend lacks (or runs slowly) for training conv nets.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, KernelConfig } from '@tensorflow/tfjs-core';
import { conv2DBackpropFilterConfig, conv2DBackpropInputConfig } from './conv2d-backprop';
import { depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig } from './depthwise-backprop';
import { castConfig, identityConfig } from './identity';
import {
  concatConfig,
  gatherV2Config,
  reverseConfig,
  sliceConfig,
  splitVConfig,
  tileConfig,
} from './copy-kernels';
import { batchMatMulConfig } from './matmul';
import { meanConfig, sumConfig } from './pooled-reduction';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum';
import { wrapBackendKernel } from './wrapped-kernels';
import { registerDilatedConv2DGradient } from './dilated-conv2d-grad';
import { fusedBatchNormGradConfig } from './batch-norm-grad';
import { fusedBatchNormConfig } from './batch-norm';
import { meanGradConfig, sumGradConfig } from './reduction-grads';

const WASM_TRAINING_KERNELS: readonly KernelConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  depthwiseBackpropFilterConfig,
  depthwiseBackpropInputConfig,
  unsortedSegmentSumConfig,
  identityConfig,
];

/** Faster versions of kernels the wasm backend has, which fall back to the backend's own. */
const WASM_WRAPPED_KERNELS: readonly KernelConfig[] = [
  sumConfig,
  meanConfig,
  concatConfig,
  splitVConfig,
  sliceConfig,
  tileConfig,
  reverseConfig,
  gatherV2Config,
  castConfig,
  fusedBatchNormConfig,
  batchMatMulConfig,
];

/**
 * Gradients that replace tfjs-core's on every backend: theirs build full-size tiles and
 * products of ones that the same maths does not need (see each file).
 */
const GRADIENTS: readonly GradConfig[] = [fusedBatchNormGradConfig, meanGradConfig, sumGradConfig];

/**
 * Registers perturb's training kernels on the tfjs backend named `tfBackendName` and returns
 * their kernel names. Only `'wasm'` needs them: it gets the convolution and depthwise
 * gradients and `UnsortedSegmentSum` it lacks, its naive `Conv2DBackpropInput` and copying
 * `Identity` are replaced, its `Sum` and `Mean` run leading-axes (per-channel) reductions
 * by pooling, its last-axis float32 `Concat` and every float32 `SplitV` and `Slice` are copy
 * loops, its `Tile` repeats, its `Reverse` flips and its `GatherV2` picks by block copies, its
 * same-dtype `Cast` shares the storage and its per-channel `FusedBatchNorm` is one depthwise
 * pass; its `BatchMatMul` with a transposed operand (every dense layer's gradients) transposes
 * first and runs the fast untransposed product. For any other backend no kernel is registered
 * and the list is empty. On every backend the gradients of `FusedBatchNorm` (tf.batchNorm),
 * `Mean` and `Sum` are replaced and dilated `Conv2D` gets the gradient tfjs lacks. Calling it
 * again is harmless: kernels already registered by perturb are kept.
 */
export function registerTrainingKernels(tfBackendName: string): string[] {
  registerDilatedConv2DGradient(); // every backend: tfjs has no gradient for dilated conv2d (issue 18)
  for (const config of GRADIENTS) tf.registerGradient(config);
  if (tfBackendName !== 'wasm') return [];
  for (const config of WASM_TRAINING_KERNELS) {
    const current = tf.getKernel(config.kernelName, 'wasm');
    if (current?.kernelFunc === config.kernelFunc) continue;
    if (current) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
  for (const config of WASM_WRAPPED_KERNELS) {
    const current = tf.getKernel(config.kernelName, 'wasm');
    if (!current || current.kernelFunc === config.kernelFunc) continue;
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(wrapBackendKernel(config, current));
  }
  return [...WASM_TRAINING_KERNELS, ...WASM_WRAPPED_KERNELS].map((config) => config.kernelName);
}
