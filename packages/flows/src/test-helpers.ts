/** Helpers shared by this package's tests (not part of the public API). */
import * as tf from '@tensorflow/tfjs-core';
import type { Module, Rng } from '@perturb/core';

/**
 * Adds N(0, std²) noise to every parameter, so zero-initialized parts (coupling outputs,
 * priors) stop being the identity and the tests exercise every term.
 */
export function perturbParameters(module: Module, rng: Rng, std = 0.1): void {
  for (const p of module.parameters()) {
    tf.tidy(() => p.assign(tf.add(p, rng.normalTensor(p.shape, 0, std))));
  }
}
