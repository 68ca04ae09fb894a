/**
 * The object boxes of a detection batch (issue 19's contract §1). Core's `Batch` gains `boxes`
 * on another branch; until it is merged, this module is the detection task's one reader of them,
 * so the swap to core's `BatchBoxes` and `requireBoxes` touches this file alone.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { type Batch, PerturbError } from '@perturb/core';

/** Object boxes of a detection batch, padded to the batch's largest count. */
export type BatchBoxes = {
  /**
   * `[N, M, 4]` float32, (x1, y1, x2, y2) in pixels of the batch's images (x2/y2 exclusive edges,
   * as torchvision: a box covering columns 3..10 is x1 = 3, x2 = 11); padding rows are zeros.
   */
  boxes: tf.Tensor3D;
  /**
   * `[N, M]` int32 class ids, 0-based over the dataset's object classes (no background id);
   * -1 marks a padding row.
   */
  classes: tf.Tensor2D;
};

/** A batch that carries its object boxes. */
export type BoxedBatch = Batch & { boxes: BatchBoxes };

/** The batch's boxes; `who` names the method in the one-line error when it has none. */
export function requireBoxes(batch: Batch, who: string): BatchBoxes {
  const { boxes } = batch as Batch & { boxes?: BatchBoxes };
  if (!boxes) {
    throw new PerturbError(
      `${who} needs batches with object boxes, but this batch has none`,
      'train it on a detection dataset (perturb list datasets)',
    );
  }
  return boxes;
}

/** One image's ground truth read from a batch: flat (x1, y1, x2, y2) boxes and their class ids. */
export interface ImageBoxes {
  boxes: Float32Array;
  classes: Int32Array;
}

/** The boxes of every image of `boxes`, padding rows (class −1) left out. */
export function imageBoxes(boxes: BatchBoxes): ImageBoxes[] {
  const [n, m] = boxes.classes.shape;
  const coordinates = boxes.boxes.dataSync();
  const ids = boxes.classes.dataSync();
  return Array.from({ length: n }, (_, i) => {
    const rows: number[] = [];
    for (let j = 0; j < m; j++) if (ids[i * m + j] >= 0) rows.push(i * m + j);
    return {
      boxes: Float32Array.from(rows.flatMap((r) => Array.from(coordinates.subarray(4 * r, 4 * r + 4)))),
      classes: Int32Array.from(rows, (r) => ids[r]),
    };
  });
}
