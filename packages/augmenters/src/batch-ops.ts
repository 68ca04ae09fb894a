/** Tensor operations on whole batches (images, labels, label maps and boxes together). */
import * as tf from '@tensorflow/tfjs-core';
import { type Batch, mapBatch } from '@perturb/core';
import { flagTensor } from './sampling';

/** The samples at `indices`, in that order. */
export function gatherBatch(batch: Batch, indices: ArrayLike<number>): Batch {
  const at = tf.tensor1d(Array.from(indices), 'int32');
  return mapBatch(batch, (t) => tf.gather(t, at));
}

/**
 * Per sample: `chosen` where `flags` is true, else `other` (both with the same dense targets, and
 * as many box rows per image: the box augmenters keep the count).
 */
export function selectSamples(flags: readonly boolean[], chosen: Batch, other: Batch): Batch {
  if (flags.every((f) => f)) return chosen;
  if (!flags.some((f) => f)) return other;
  const mask = flagTensor(flags);
  // tf.where broadcasts its condition: give it a size-1 axis for every non-batch axis.
  const pick = <T extends tf.Tensor>(a: T, b: T): T =>
    tf.where(tf.reshape(mask, [flags.length, ...new Array<number>(a.rank - 1).fill(1)]), a, b);
  return {
    x: pick(chosen.x, other.x),
    y: pick(chosen.y, other.y),
    ...(chosen.labelMap && other.labelMap
      ? {
          labelMap: {
            classes: pick(chosen.labelMap.classes, other.labelMap.classes),
            ignoreIndex: chosen.labelMap.ignoreIndex,
          },
        }
      : {}),
    ...(chosen.boxes && other.boxes
      ? {
          boxes: {
            boxes: pick(chosen.boxes.boxes, other.boxes.boxes),
            classes: pick(chosen.boxes.classes, other.boxes.classes),
          },
        }
      : {}),
  };
}

/** `weight·a + (1 − weight)·b`, with a scalar or a tensor weight that broadcasts. */
export function blend<T extends tf.Tensor>(a: T, b: T, weight: number | tf.Tensor): T {
  return tf.add(tf.mul(a, weight), tf.mul(b, tf.sub(1, weight))) as T;
}
