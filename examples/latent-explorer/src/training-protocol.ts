/** The messages between the page and its training worker. */
import type { BackendName } from '@perturb/core';

/** The augmenters the page can put in the training pipeline, in pipeline order. */
export const PAGE_AUGMENTERS = ['crop', 'flip', 'cutout'] as const;
export type PageAugmenter = (typeof PAGE_AUGMENTERS)[number];

/** Page → worker: train a fresh classifier. */
export interface TrainRequest {
  /** The page's folder, to fetch the images from. */
  base: string;
  backend?: BackendName;
  augmenters: PageAugmenter[];
  steps: number;
  batchSize: number;
  seed: number;
}

/** Worker → page. */
export type TrainMessage =
  | { kind: 'started'; backend: BackendName }
  | { kind: 'step'; step: number; loss: number }
  | { kind: 'done'; testAccuracy: number; seconds: number }
  | { kind: 'failed'; message: string };
