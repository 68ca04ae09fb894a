/**
 * Which data a model's task trains on: the dense target its batches carry, and the one-line
 * refusal of a model whose task the dataset cannot serve (a classifier on boxes or label maps, a
 * segmenter without label maps, a detector without boxes).
 */
import { type Model, PerturbError, taskOf } from '@perturb/core';
import type { BatchTarget, Dataset } from '@perturb/datasets';

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
export function checkTaskFits(model: Model, data: Dataset, modelName: string, datasetName: string): void {
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
