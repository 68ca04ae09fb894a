/**
 * Registers the kernels the wasm backend lacks (or runs slowly) for training conv nets.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { conv2DBackpropFilterConfig, conv2DBackpropInputConfig } from './conv2d-backprop';
import { depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig } from './depthwise-backprop';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum';

const WASM_TRAINING_KERNELS: readonly KernelConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  depthwiseBackpropFilterConfig,
  depthwiseBackpropInputConfig,
  unsortedSegmentSumConfig,
];

/**
 * Registers perturb's training kernels on the tfjs backend named `tfBackendName` and returns
 * their kernel names. Only `'wasm'` needs them: it gets the convolution and depthwise
 * gradients and `UnsortedSegmentSum` it lacks, and its naive `Conv2DBackpropInput` is replaced.
 * For any other backend nothing is registered and the list is empty. Calling it again is
 * harmless: kernels already registered by perturb are kept.
 */
export function registerTrainingKernels(tfBackendName: string): string[] {
  if (tfBackendName !== 'wasm') return [];
  for (const config of WASM_TRAINING_KERNELS) {
    const current = tf.getKernel(config.kernelName, 'wasm');
    if (current?.kernelFunc === config.kernelFunc) continue;
    if (current) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
  return WASM_TRAINING_KERNELS.map((config) => config.kernelName);
}
