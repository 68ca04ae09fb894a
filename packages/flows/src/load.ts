/** Rebuilding a trained Glow from its checkpoint alone. */
import { PerturbError, Rng, loadCheckpoint, loadSafetensors } from '@perturb/core';
import * as tf from '@tensorflow/tfjs-core';
import { Glow, type GlowConfig } from './glow';

/**
 * Loads the Glow that `trainFlow` (or `perturb train-flow`) saved at `path`: the model's
 * configuration is read from the checkpoint's metadata, so no other file is needed.
 */
export function loadGlow(path: string): Glow {
  const { tensors, metadata } = loadSafetensors(path);
  tf.dispose(Object.values(tensors));
  const config = (JSON.parse(metadata.perturb ?? 'null') as { model?: GlowConfig } | null)?.model;
  if (!config) {
    throw new PerturbError(
      `${path} is not a Glow checkpoint (its metadata has no model configuration)`,
      'pass the checkpoint.safetensors written by trainFlow or `perturb train-flow`',
    );
  }
  const { seed, ...options } = config;
  const glow = new Glow({ ...options, rng: new Rng(seed) });
  const { tensors: extra } = loadCheckpoint(path, glow);
  tf.dispose(Object.values(extra));
  return glow;
}
