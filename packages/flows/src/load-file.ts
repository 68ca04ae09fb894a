/** Loading a trained Glow from its checkpoint file (Node). */
import { readCheckpoint } from '@perturb/core/node';
import type { Glow } from './glow';
import { glowFrom } from './load';

/**
 * Loads the Glow that `trainFlow` (or `perturb train-flow`) saved at `path`: the model's
 * configuration is read from the checkpoint's metadata, so no other file is needed.
 */
export function loadGlow(path: string): Glow {
  return glowFrom(readCheckpoint(path), path);
}
