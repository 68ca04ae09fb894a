/** The in-memory dataset: uint8 pixels on the host, converted to tensors one batch at a time. */
import { PerturbError } from '@perturb/core';
import { selectObjects } from './objects';

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
 * The objects of a detection dataset, flat (one row per object, typed arrays rather than one
 * object per box, so COCO's 860k boxes stay a few megabytes): image i's objects are rows
 * `offsets[i]` to `offsets[i + 1] − 1`.
 */
export interface ObjectBoxes {
  /** Object class names, ids `0..C-1` (no background class: a detector adds its own). */
  readonly classNames: readonly string[];
  /** `count + 1` row offsets, ascending from 0. */
  readonly offsets: Int32Array;
  /**
   * (x1, y1, x2, y2) per row in pixels of the dataset's images, x2/y2 exclusive edges as in
   * torchvision (a box covering columns 3..10 has x1 = 3, x2 = 11).
   */
  readonly boxes: Float32Array;
  /** Class id per row, `0..C-1`. */
  readonly classes: Int32Array;
  /**
   * 1 where a row is for evaluation only: a COCO crowd region or a VOC difficult object.
   * Training batches leave these rows out (as torchvision does); evaluation keeps them as
   * regions a detection may match but need not (COCO's `iscrowd`). Absent: none.
   */
  readonly evaluationOnly?: Uint8Array;
  /**
   * Area per row in pixels for COCO's small/medium/large ranges (COCO: its segmentation's area,
   * scaled with the image). Absent: the box's area.
   */
  readonly areas?: Float32Array;
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
  /**
   * A detection dataset's object boxes; its `labels` are then each image's dominant object
   * class, and batches built for a detector carry them (`Batch.boxes`). A dataset may have both
   * label maps and boxes (Fashion-MNIST scenes); `toBatch`'s `target` picks one.
   */
  readonly boxes?: ObjectBoxes;
  /**
   * Set by `padDataset`: the images' own size before they were centred on a zero canvas
   * (28 × 28 of Fashion-MNIST padded to 32 × 32), so new images can be prepared the same way.
   * Absent: not padded.
   */
  readonly unpadded?: { readonly height: number; readonly width: number };
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
  const { labelMaps, boxes } = dataset;
  return {
    ...dataset,
    images,
    labels,
    ...(labelMaps ? { labelMaps: selectLabelMaps(dataset, labelMaps, indices) } : {}),
    ...(boxes ? { boxes: selectObjects(boxes, indices) } : {}),
  };
}

function selectLabelMaps(dataset: Dataset, labelMaps: LabelMaps, indices: ArrayLike<number>): LabelMaps {
  const area = dataset.shape.height * dataset.shape.width;
  const classes = new Uint8Array(indices.length * area);
  for (let i = 0; i < indices.length; i++) {
    classes.set(labelMaps.classes.subarray(indices[i] * area, (indices[i] + 1) * area), i * area);
  }
  return { classes, ignoreIndex: labelMaps.ignoreIndex };
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
