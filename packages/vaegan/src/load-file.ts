/** Loading a trained VAE-GAN from its checkpoint file (Node). */
import { existsSync } from 'node:fs';
import { PerturbError } from '@perturb/core';
import { readCheckpoint } from '@perturb/core/node';
import { vaeGanFrom } from './class-specific';
import type { VaeGan } from './vaegan';

/** Rebuilds a `VaeGan` from a checkpoint file written by `trainVaeGan` (its configuration is stored in it). */
export function loadVaeGan(path: string): VaeGan {
  if (!existsSync(path)) {
    throw new PerturbError(
      `VAE-GAN checkpoint ${path} does not exist`,
      'train it first with trainVaeGan or trainClassSpecific',
    );
  }
  return vaeGanFrom(readCheckpoint(path), path);
}
