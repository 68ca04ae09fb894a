/** Helpers shared by this package's tests (not part of the public API). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll } from 'vitest';
import { type Module, Rng } from '@perturb/core';
import { Glow, type GlowOptions } from './glow';

/** A Glow on 8×8×1 images small enough for a test to train it in milliseconds. */
export const TINY_GLOW = { inputShape: [8, 8, 1], levels: 2, steps: 2, hidden: 8 } as const;

/**
 * A maker of fresh temporary folders (named `<prefix>…`) that are all removed after the test
 * file; call it at the top level of the file, where `afterAll` can register.
 */
export function temporaryFolders(prefix: string): () => string {
  const folders: string[] = [];
  afterAll(() => {
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  });
  return () => {
    const folder = mkdtempSync(join(tmpdir(), prefix));
    folders.push(folder);
    return folder;
  };
}

/**
 * Adds N(0, std²) noise to every parameter, so zero-initialized parts (coupling outputs,
 * priors) stop being the identity and the tests exercise every term.
 */
export function perturbParameters(module: Module, rng: Rng, std = 0.1): void {
  for (const p of module.parameters()) {
    tf.tidy(() => p.assign(tf.add(p, rng.normalTensor(p.shape, 0, std))));
  }
}

/**
 * A Glow initialized on `x` (with its condition, if conditional) and with every parameter moved
 * off its (often zero) initial value, so that no part acts as the identity.
 */
export function trainedLookingGlow(
  options: Omit<GlowOptions, 'rng'>,
  seed: number,
  x: tf.Tensor4D,
  condition?: tf.Tensor2D,
): Glow {
  const glow = new Glow({ ...options, rng: new Rng(seed) });
  glow.initialize(x, condition);
  perturbParameters(glow, new Rng(seed + 1), 0.05);
  return glow;
}

/** max |a − b|. */
export function maxAbsDifference(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}
