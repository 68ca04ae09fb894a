/**
 * Object boxes moved with their images by the geometric augmenters, on the host (a batch holds a
 * few boxes per image, and host code gives the same numbers on every backend). Each op describes
 * where it sends a point of each sample; a box becomes the enclosing box of its four corners sent
 * there (exact for flips, shifts and scales, and what torchvision v2 does for rotations), clipped
 * to the output image.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Batch, type BatchBoxes, z } from '@perturb/core';

/** Where a geometric op sends the point (x, y) of an input image, in pixel edge coordinates. */
export type PointMap = (x: number, y: number) => readonly [number, number];

/**
 * The option of the augmenters that can cut boxes at the image border: the smallest width and
 * height in pixels a box keeps after clipping. Default 1, as torchvision v2's
 * `SanitizeBoundingBoxes` (`min_size` = 1).
 */
export const minBoxSize = z.number().min(0).default(1);

/**
 * `boxes` with sample i's boxes sent through `pointsOf(i)` (null leaves them as they are) into
 * an output image of `height`×`width`: each box becomes the enclosing box of its corners, clipped
 * to the image. A box whose clipped width or height is below `minSize` pixels has left the image
 * and is dropped; a sample's remaining boxes move up, in order, and the rows they leave become
 * padding (zeros, class -1), so the box count per image stays the batch's.
 */
export function moveBoxes(
  boxes: BatchBoxes,
  pointsOf: (sample: number) => PointMap | null,
  size: { height: number; width: number },
  minSize: number,
): BatchBoxes {
  const [n, rows] = boxes.classes.shape;
  const corners = boxes.boxes.dataSync();
  const classes = boxes.classes.dataSync();
  const outCorners = new Float32Array(corners.length);
  const outClasses = new Int32Array(classes.length).fill(-1);
  for (let i = 0; i < n; i++) {
    const points = pointsOf(i);
    let kept = 0;
    for (let j = 0; j < rows; j++) {
      const row = i * rows + j;
      if (classes[row] < 0) continue;
      const box = corners.subarray(4 * row, 4 * row + 4);
      const moved = points ? clip(enclosingBox(box, points), size) : box;
      if (points && (moved[2] - moved[0] < minSize || moved[3] - moved[1] < minSize)) continue;
      const at = i * rows + kept++;
      outCorners.set(moved, 4 * at);
      outClasses[at] = classes[row];
    }
  }
  return {
    boxes: tf.tensor3d(outCorners, boxes.boxes.shape),
    classes: tf.tensor2d(outClasses, boxes.classes.shape, 'int32'),
  };
}

/** `batch`'s boxes moved by {@link moveBoxes} into `out` (a batch without boxes is returned as it is). */
export function withMovedBoxes(
  out: Batch,
  batch: Batch,
  pointsOf: (sample: number) => PointMap | null,
  minSize: number,
): Batch {
  if (!batch.boxes) return out;
  const [, height, width] = out.x.shape;
  return { ...out, boxes: moveBoxes(batch.boxes, pointsOf, { height, width }, minSize) };
}

/** `batch` without its boxes, for the tensor ops that move only pixels. */
export function withoutBoxes(batch: Batch): Batch {
  if (!batch.boxes) return batch;
  const { boxes: _boxes, ...rest } = batch;
  return rest;
}

/** The axis-aligned box enclosing the four corners of `box` (x1, y1, x2, y2) sent through `points`. */
function enclosingBox(box: ArrayLike<number>, points: PointMap): [number, number, number, number] {
  const [x1, y1, x2, y2] = [box[0], box[1], box[2], box[3]];
  const moved = [points(x1, y1), points(x2, y1), points(x1, y2), points(x2, y2)];
  const xs = moved.map(([x]) => x);
  const ys = moved.map(([, y]) => y);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

/** `box` clipped to an image of `height`×`width` (edges from 0 to the side). */
function clip(box: readonly number[], { height, width }: { height: number; width: number }): number[] {
  const within = (v: number, side: number) => Math.min(side, Math.max(0, v));
  return [within(box[0], width), within(box[1], height), within(box[2], width), within(box[3], height)];
}
