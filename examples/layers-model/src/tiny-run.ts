/** The run the tests train: seconds, not minutes. */
import type { LayersModelRunOptions } from './train';

/** 20 images, batches of 10, 6 steps over 3 epochs, one PGD step, a one-level Glow. */
export const TINY_RUN: Omit<LayersModelRunOptions, 'out'> = {
  trainSize: 20,
  testSize: 10,
  batchSize: 10,
  steps: 6,
  afanSteps: 1,
  lr: 0.05,
  flow: { levels: 1, steps: 1, hidden: 4, epochs: 1 },
  backend: 'wasm',
  progress: false,
};
