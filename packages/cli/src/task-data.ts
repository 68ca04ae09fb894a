/**
 * Which data a model's task trains on: the dense target its batches carry, and the one-line
 * refusal of a model whose task the dataset cannot serve (a classifier on boxes or label maps, a
 * segmenter without label maps, a detector without boxes).
 */
import { type Model, PerturbError, taskOf } from '@perturb/core';
import type { BatchTarget, ImageShape } from '@perturb/datasets';

/**
 * What building a run's model needs to know of its dataset: the image shape, the classes, and
 * which dense targets it has (a detector's classes are its object classes). A `Dataset` is one;
 * `perturb train` records one in result.json (`data`), so a trained model can be
 * rebuilt — by `perturb predict` — without its dataset at hand.
 */
export interface ModelData {
  /** The dataset's display name. */
  readonly name: string;
  readonly shape: ImageShape;
  readonly numClasses: number;
  /** One name per class id. */
  readonly classNames: readonly string[];
  /** Present on a segmentation dataset: its label maps' ignore index. */
  readonly labelMaps?: { readonly ignoreIndex: number };
  /** Present on a detection dataset: its object class names, ids `0..C-1`. */
  readonly boxes?: { readonly classNames: readonly string[] };
  /** Present when the images were zero-padded to `shape`: their own size, centred in it. */
  readonly unpadded?: { readonly height: number; readonly width: number };
}

/** `data`'s {@link ModelData} alone, as plain JSON (no pixels, labels or boxes). */
export function dataDescription(data: ModelData): ModelData {
  const { name, shape, numClasses, classNames, labelMaps, boxes, unpadded } = data;
  return {
    name,
    shape: { height: shape.height, width: shape.width, channels: shape.channels },
    numClasses,
    classNames: [...classNames],
    ...(labelMaps ? { labelMaps: { ignoreIndex: labelMaps.ignoreIndex } } : {}),
    ...(boxes ? { boxes: { classNames: [...boxes.classNames] } } : {}),
    ...(unpadded ? { unpadded: { height: unpadded.height, width: unpadded.width } } : {}),
  };
}

/** What each dense task needs of a dataset, and where to find such a dataset or model. */
const DENSE_TASKS: Record<
  string,
  { target: BatchTarget; targetName: string; does: string; model: string; datasets: string }
> = {
  segmentation: {
    target: 'labelMap',
    targetName: 'label maps',
    does: 'predicts a class per pixel',
    model: 'deeplabv3plus',
    datasets:
      'use a segmentation dataset (fashion-mnist-scenes, fashion-mnist-scenes-small, voc2012, cityscapes)',
  },
  detection: {
    target: 'boxes',
    targetName: 'boxes',
    does: 'detects objects',
    model: 'fasterrcnn',
    datasets: 'use a detection dataset (fashion-mnist-scenes, fashion-mnist-scenes-small, voc2007, coco2017)',
  },
};

/** The dense target the batches of `model`'s task carry (`'none'` for a classifier). */
export function batchTargetOf(model: Model): BatchTarget {
  return DENSE_TASKS[taskOf(model).kind]?.target ?? 'none';
}

/**
 * Refuses, in one line naming `modelName` and `datasetName`, a model whose task `data` cannot
 * serve: a dense model on data without its target, a classifier on a dense-only dataset.
 */
export function checkTaskFits(model: Model, data: ModelData, modelName: string, datasetName: string): void {
  const { kind } = taskOf(model);
  // The dense tasks `data` can serve, e.g. both for Fashion-MNIST scenes.
  const served = Object.keys(DENSE_TASKS).filter((k) =>
    DENSE_TASKS[k].target === 'labelMap' ? data.labelMaps : data.boxes,
  );
  const dense = DENSE_TASKS[kind];
  if (dense && !served.includes(kind)) {
    throw new PerturbError(
      `model ${modelName} ${dense.does}, but dataset "${datasetName}" ${served.length > 0 ? `has no ${dense.targetName}` : 'has only a class per image'}`,
      dense.datasets,
    );
  }
  if (!dense && served.length > 0) {
    throw new PerturbError(
      `model ${modelName} is a ${kind} model, but dataset "${datasetName}" is a ${served.join(' and ')} dataset (${served.map((k) => DENSE_TASKS[k].targetName).join(' and ')})`,
      `use model ${served.map((k) => DENSE_TASKS[k].model).join(' or ')}, or a classification dataset`,
    );
  }
}
