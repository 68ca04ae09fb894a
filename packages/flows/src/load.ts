/** Rebuilding a trained Glow from its checkpoint alone. */
import {
  type CheckpointContents,
  PerturbError,
  Rng,
  buildFromCheckpoint,
  decodeCheckpoint,
} from '@perturb/core';
import { Glow, type GlowConfig } from './glow';

/** What a Glow checkpoint's metadata holds: the model's configuration. */
type GlowMeta = { model?: GlowConfig } | null;

/**
 * The Glow that `trainFlow` (or `perturb train-flow`) saved as `bytes` (its checkpoint file's
 * contents, e.g. fetched in a browser): the model's configuration is read from the checkpoint's
 * metadata, so nothing else is needed. `source` names the bytes in errors.
 */
export function glowFromCheckpoint(bytes: Uint8Array, source = 'the Glow checkpoint'): Glow {
  return glowFrom(decodeCheckpoint<GlowMeta>(bytes, source), source);
}

/** Builds the Glow of decoded checkpoint contents (which it disposes). */
export function glowFrom(contents: CheckpointContents<GlowMeta>, source: string): Glow {
  return buildFromCheckpoint(contents, (meta) => {
    const config = meta?.model;
    if (!config) {
      throw new PerturbError(
        `${source} is not a Glow checkpoint (its metadata has no model configuration)`,
        'pass the checkpoint.safetensors written by trainFlow or `perturb train-flow`',
      );
    }
    const { seed, ...options } = config;
    return new Glow({ ...options, rng: new Rng(seed) });
  });
}
