/** Rebuilding a trained Glow from its checkpoint alone. */
import { PerturbError, Rng, readCheckpoint } from '@perturb/core';
import * as tf from '@tensorflow/tfjs-core';
import { Glow, type GlowConfig } from './glow';

/**
 * Loads the Glow that `trainFlow` (or `perturb train-flow`) saved at `path`: the model's
 * configuration is read from the checkpoint's metadata, so no other file is needed.
 */
export function loadGlow(path: string): Glow {
  const { state, tensors, meta } = readCheckpoint<{ model?: GlowConfig } | null>(path);
  try {
    const config = meta?.model;
    if (!config) {
      throw new PerturbError(
        `${path} is not a Glow checkpoint (its metadata has no model configuration)`,
        'pass the checkpoint.safetensors written by trainFlow or `perturb train-flow`',
      );
    }
    const { seed, ...options } = config;
    const glow = new Glow({ ...options, rng: new Rng(seed) });
    try {
      glow.loadStateDict(state);
    } catch (error) {
      glow.dispose(); // the caller never sees the half-built model, so it could not free it
      throw error;
    }
    return glow;
  } finally {
    tf.dispose([...Object.values(state), ...Object.values(tensors)]);
  }
}
