/** The ground-truth boxes of a detection batch, read to the host one image at a time. */
import type * as tf from '@tensorflow/tfjs-core';
import { type Batch, PerturbError } from '@perturb/core';

/**
 * The boxes a detection batch carries (issue 19's `BatchBoxes`): `boxes` `[N, M, 4]` (x1, y1,
 * x2, y2) pixels and `classes` `[N, M]` 0-based ids, −1 on padding rows.
 */
export type BoxTargets = { boxes: tf.Tensor3D; classes: tf.Tensor2D };

/** One image's ground truth: flat boxes `[G·4]` and their 0-based class ids `[G]`, padding dropped. */
export interface ImageBoxes {
  boxes: Float32Array;
  classes: Int32Array;
}

/** Each image's ground truth of `batch`, which must carry boxes for `images` images. */
export function imageBoxes(batch: Batch, images: number, who: string): ImageBoxes[] {
  const targets = (batch as Batch & { boxes?: BoxTargets }).boxes;
  if (!targets) {
    throw new PerturbError(
      `${who} needs batches with boxes, but this batch has only class labels`,
      'train it on a detection dataset (perturb list datasets)',
    );
  }
  const [n, m] = targets.classes.shape;
  if (n !== images) {
    throw new PerturbError(
      `the batch's boxes are for ${n} images but it has ${images} images`,
      'pass the batch whose images are being forwarded as targets',
    );
  }
  const boxes = targets.boxes.dataSync();
  const classes = targets.classes.dataSync();
  return Array.from({ length: n }, (_, i) => {
    const rows = Array.from({ length: m }, (_, j) => i * m + j).filter((r) => classes[r] >= 0);
    return {
      boxes: Float32Array.from(rows.flatMap((r) => Array.from(boxes.subarray(4 * r, 4 * r + 4)))),
      classes: Int32Array.from(rows, (r) => classes[r]),
    };
  });
}

/** The box `matches[i]` names for each i, flat, or zeros where it names none (a negative index). */
export function gatherBoxes(boxes: Float32Array, matches: ArrayLike<number>): Float32Array {
  const out = new Float32Array(matches.length * 4);
  for (let i = 0; i < matches.length; i++) {
    if (matches[i] >= 0) out.set(boxes.subarray(4 * matches[i], 4 * matches[i] + 4), 4 * i);
  }
  return out;
}
