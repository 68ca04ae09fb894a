/** Rebuilding a trained Glow from its checkpoint alone. */
import { PerturbError, Rng } from '@perturb/core';
import { rebuildFromCheckpoint } from '@perturb/core/node';
import { Glow, type GlowConfig } from './glow';

/**
 * Loads the Glow that `trainFlow` (or `perturb train-flow`) saved at `path`: the model's
 * configuration is read from the checkpoint's metadata, so no other file is needed.
 */
export function loadGlow(path: string): Glow {
  return rebuildFromCheckpoint<{ model?: GlowConfig } | null, Glow>(path, (meta) => {
    const config = meta?.model;
    if (!config) {
      throw new PerturbError(
        `${path} is not a Glow checkpoint (its metadata has no model configuration)`,
        'pass the checkpoint.safetensors written by trainFlow or `perturb train-flow`',
      );
    }
    const { seed, ...options } = config;
    return new Glow({ ...options, rng: new Rng(seed) });
  });
}
