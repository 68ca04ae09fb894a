/** What a run's augmenters do to images, written next to its result: a grid and distances. */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { type Augmenter, type Model, Rng, compose, stepContext } from '@perturb/core';
import { type Dataset, toBatch } from '@perturb/datasets';
import { batchTargetOf } from './task-data';
import { imageDistances, mean } from '@perturb/eval';
import { writeAugmentationGrid } from '@perturb/eval/node';
import { AUGMENTATION_GRID } from './report';

/** How far a run's input-stage augmenters move the first training images (`augmented.png`). */
export interface AugmentationDiagnostics {
  /** Mean over the shown images of max |x' − x|. */
  meanLinf: number;
  /** Mean over the shown images of ‖x' − x‖₂. */
  meanL2: number;
  /** Number of images shown and measured. */
  images: number;
}

/**
 * Runs the augmenters' input stages, composed as at a training step (with a stream of their own),
 * on the first `count` training images with the trained model, writes `<out>/augmented.png` and
 * returns the mean pixel distances.
 */
export function writeAugmentationDiagnostics(
  out: string,
  model: Model,
  augmenters: Augmenter[],
  trainSet: Dataset,
  seed: number,
  count = 8,
): AugmentationDiagnostics | null {
  const { transform } = compose(augmenters);
  if (!transform) return null;
  const ctx = stepContext(model, new Rng(seed).child('diagnostics'), { step: 0, epoch: 0 });
  return tf.tidy(() => {
    const clean = toBatch(
      trainSet,
      Array.from({ length: Math.min(count, trainSet.labels.length) }, (_, i) => i),
      { target: batchTargetOf(model) },
    );
    const batch = transform(clean, ctx);
    writeAugmentationGrid(join(out, AUGMENTATION_GRID), clean.x, batch.x);
    const distances = imageDistances(clean.x, batch.x);
    return { meanLinf: mean(distances.linf), meanL2: mean(distances.l2), images: distances.l2.length };
  });
}
