/**
 * The data `trainFlow` accepts: images in plain typed arrays, or any async source of batches,
 * so flows need no particular dataset package.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PerturbError } from '@perturb/core';

/** Images held in memory, NHWC. */
export interface ImageArray {
  /** count·height·width·channels values: bytes 0…255 (`Uint8Array`) or floats in [0, 1]. */
  images: Uint8Array | Float32Array;
  count: number;
  height: number;
  width: number;
  channels: number;
  /** Integer class per image, needed only to train a conditional model (its condition is their one-hot). */
  labels?: ArrayLike<number>;
}

/** A batch from a batch source: images in [0, 1] and, for conditional models, their condition. */
export interface FlowBatch {
  x: tf.Tensor4D;
  /** The condition [N, E]: one-hot labels, or the embedding a conditional Glow was built for. */
  labels?: tf.Tensor2D;
}

/**
 * Where batches come from: an `ImageArray` (shuffled and batched by `trainFlow`), or a function
 * that returns a fresh async iterable of batches for each pass (each item a `tf.Tensor4D` of
 * images in [0, 1] or a `FlowBatch`; `trainFlow` disposes them).
 */
export type ImageSource = ImageArray | (() => AsyncIterable<tf.Tensor4D | FlowBatch>);

/** Checks that `data` holds images of `shape` ([H, W, C]); `role` names it in errors. */
export function checkImageArray(data: ImageArray, shape: readonly number[], role: string): void {
  const [h, w, c] = shape;
  if (data.height !== h || data.width !== w || data.channels !== c) {
    throw new PerturbError(
      `the ${role} images are ${data.height}×${data.width}×${data.channels} but the model expects ${h}×${w}×${c}`,
      'build the Glow with inputShape equal to the images’ [height, width, channels], or pad/crop the images',
    );
  }
  if (data.images.length !== data.count * h * w * c || data.count < 1) {
    throw new PerturbError(
      `the ${role} images hold ${data.images.length} values, not count·height·width·channels = ${data.count * h * w * c}`,
      'pass count equal to the number of images in the array (at least 1)',
    );
  }
  if (data.labels !== undefined && data.labels.length !== data.count) {
    throw new PerturbError(
      `the ${role} set has ${data.labels.length} labels for ${data.count} images`,
      'pass one label per image',
    );
  }
}

/**
 * The images at `indices` as a [n, H, W, C] float32 tensor in [0, 1], with one-hot labels when
 * `numClasses` > 0.
 */
export function gatherBatch(data: ImageArray, indices: ArrayLike<number>, numClasses: number): FlowBatch {
  const size = data.height * data.width * data.channels;
  const values = new Float32Array(indices.length * size);
  const scale = data.images instanceof Uint8Array ? 1 / 255 : 1;
  for (let i = 0; i < indices.length; i++) {
    const offset = indices[i] * size;
    for (let k = 0; k < size; k++) values[i * size + k] = data.images[offset + k] * scale;
  }
  const x = tf.tensor4d(values, [indices.length, data.height, data.width, data.channels]);
  if (numClasses === 0) return { x };
  if (data.labels === undefined) {
    x.dispose();
    throw new PerturbError(
      'the model is conditional but the images have no labels',
      'pass labels with the images',
    );
  }
  const labels = Int32Array.from({ length: indices.length }, (_, i) => data.labels![indices[i]]);
  return { x, labels: tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), numClasses) as tf.Tensor2D) };
}

/** Normalizes an item of a batch source to a `FlowBatch`. */
export function asFlowBatch(item: tf.Tensor4D | FlowBatch): FlowBatch {
  return item instanceof tf.Tensor ? { x: item } : item;
}
