import type { Rng } from '@perturb/core';

/** Options every classifier takes. */
export interface ClassifierOptions {
  /** Source of every initial weight; equal seeds give equal models. */
  rng: Rng;
  /** Number of output classes. Default 10. */
  numClasses?: number;
  /** Channels of the NHWC input images (1 for grayscale, 3 for RGB). Default 3. */
  inChannels?: number;
}
