/** The in-memory dataset: uint8 pixels on the host, converted to tensors one batch at a time. */
import { PerturbError } from '@perturb/core';

/** A dataset split. */
export type Split = 'train' | 'test';

/** Height, width and channel count of every image in a dataset. */
export interface ImageShape {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

/** Per-pixel class ids of a segmentation dataset, one label map per image. */
export interface LabelMaps {
  /** Class ids, `count × height × width` bytes (`0..numClasses-1`, or `ignoreIndex`). */
  readonly classes: Uint8Array;
  /** The id of unlabelled pixels (VOC borders, Cityscapes void), left out of losses and metrics. */
  readonly ignoreIndex: number;
}

/**
 * Images and labels of one split, kept as uint8 on the host (a float32 copy of CIFAR-10's
 * training set would take 600 MB); `toBatch`/`batches` convert one batch at a time.
 */
export interface Dataset {
  /** Display name, e.g. `fashion-mnist`. */
  readonly name: string;
  /** Pixels 0..255, NHWC, `count × height × width × channels` bytes. */
  readonly images: Uint8Array;
  /** Class index of each image, in `0..numClasses-1`. */
  readonly labels: Uint8Array | Int32Array;
  readonly shape: ImageShape;
  readonly numClasses: number;
  /** One name per class index. */
  readonly classNames: readonly string[];
  /**
   * A segmentation dataset's label maps; its `labels` are then each image's dominant class, and
   * its batches carry the maps (`Batch.labelMap`).
   */
  readonly labelMaps?: LabelMaps;
}

/** Number of examples in `dataset`. */
export function exampleCount(dataset: Dataset): number {
  return dataset.labels.length;
}

/** Bytes of one image of `shape`. */
export function imageSize(shape: ImageShape): number {
  return shape.height * shape.width * shape.channels;
}

/** How many examples of each class `dataset` holds, indexed by class. */
export function classCounts(dataset: Dataset): number[] {
  const counts = new Array<number>(dataset.numClasses).fill(0);
  for (const label of dataset.labels) counts[label]++;
  return counts;
}

/** A new dataset holding the examples at `indices`, in that order (pixels are copied). */
export function selectExamples(dataset: Dataset, indices: ArrayLike<number>): Dataset {
  const size = imageSize(dataset.shape);
  const count = exampleCount(dataset);
  const images = new Uint8Array(indices.length * size);
  // Not `new dataset.labels.constructor(n)`: labels read from a file may be a Node `Buffer`, whose
  // constructor called that way is the deprecated `Buffer(n)` (DEP0005).
  const labels =
    dataset.labels instanceof Int32Array ? new Int32Array(indices.length) : new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i];
    if (!Number.isInteger(index) || index < 0 || index >= count) {
      throw new PerturbError(
        `example index ${index} is outside ${dataset.name}'s ${count} examples`,
        `Pass indices in 0..${count - 1}`,
      );
    }
    images.set(dataset.images.subarray(index * size, (index + 1) * size), i * size);
    labels[i] = dataset.labels[index];
  }
  const { labelMaps } = dataset;
  if (!labelMaps) return { ...dataset, images, labels };
  const area = dataset.shape.height * dataset.shape.width;
  const classes = new Uint8Array(indices.length * area);
  for (let i = 0; i < indices.length; i++) {
    classes.set(labelMaps.classes.subarray(indices[i] * area, (indices[i] + 1) * area), i * area);
  }
  return { ...dataset, images, labels, labelMaps: { classes, ignoreIndex: labelMaps.ignoreIndex } };
}

/**
 * Checks that every label of `labels` is a class of `numClasses`, naming `source` (a file) if not,
 * so a corrupt labels file fails at load time rather than as NaN losses later.
 */
export function checkLabels(labels: ArrayLike<number>, numClasses: number, source: string): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= numClasses) {
      throw new PerturbError(
        `${source} has label ${labels[i]} at example ${i}, but the dataset has only ${numClasses} classes`,
        'The file is corrupt or belongs to another dataset: replace it with the original file',
      );
    }
  }
}
