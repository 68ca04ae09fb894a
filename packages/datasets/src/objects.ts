/** A detection dataset's object boxes: selecting images' objects and padding them into a batch. */
import * as tf from '@tensorflow/tfjs-core';
import type { BatchBoxes } from '@perturb/core';
import type { ObjectBoxes } from './dataset';

/** The objects of the images at `indices`, in that order. */
export function selectObjects(objects: ObjectBoxes, indices: ArrayLike<number>): ObjectBoxes {
  const rows: number[] = [];
  const offsets = new Int32Array(indices.length + 1);
  for (let i = 0; i < indices.length; i++) {
    for (let row = objects.offsets[indices[i]]; row < objects.offsets[indices[i] + 1]; row++) rows.push(row);
    offsets[i + 1] = rows.length;
  }
  const pick = <T extends Float32Array | Int32Array | Uint8Array>(values: T, width = 1): T => {
    const out = new (values.constructor as new (n: number) => T)(rows.length * width);
    rows.forEach((row, i) => out.set(values.subarray(row * width, (row + 1) * width), i * width));
    return out;
  };
  return {
    classNames: objects.classNames,
    offsets,
    boxes: pick(objects.boxes, 4),
    classes: pick(objects.classes),
    ...(objects.evaluationOnly ? { evaluationOnly: pick(objects.evaluationOnly) } : {}),
    ...(objects.areas ? { areas: pick(objects.areas) } : {}),
  };
}

/** The rows of image `index` that training sees (evaluation-only ones left out). */
function trainingRows(objects: ObjectBoxes, index: number): number[] {
  const rows: number[] = [];
  for (let row = objects.offsets[index]; row < objects.offsets[index + 1]; row++) {
    if (!objects.evaluationOnly?.[row]) rows.push(row);
  }
  return rows;
}

/**
 * The boxes of the images at `indices` as a batch's (contract of `BatchBoxes`): `[N, M, 4]`
 * padded with zeros and classes −1 to the largest count M — at least one row, so a batch
 * without objects is all padding rather than a tensor with an empty axis. Crowd and difficult
 * objects are left out.
 */
export function batchBoxes(objects: ObjectBoxes, indices: ArrayLike<number>): BatchBoxes {
  const perImage = Array.from({ length: indices.length }, (_, n) => trainingRows(objects, indices[n]));
  const m = Math.max(1, ...perImage.map((rows) => rows.length));
  const boxes = new Float32Array(indices.length * m * 4);
  const classes = new Int32Array(indices.length * m).fill(-1);
  perImage.forEach((rows, n) =>
    rows.forEach((row, j) => {
      boxes.set(objects.boxes.subarray(row * 4, row * 4 + 4), (n * m + j) * 4);
      classes[n * m + j] = objects.classes[row];
    }),
  );
  return {
    boxes: tf.tensor3d(boxes, [indices.length, m, 4], 'float32'),
    classes: tf.tensor2d(classes, [indices.length, m], 'int32'),
  };
}
