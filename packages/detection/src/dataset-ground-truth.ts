/** A detection `Dataset`'s full ground truth in COCO's format, for `cocoEvaluate`. */
import { PerturbError } from '@perturb/core';
import type { Dataset } from '@perturb/datasets';
import type { CocoGroundTruth } from './coco-eval';

/**
 * Every object of `dataset` (`Dataset.boxes`) as COCO ground truth: image i has id i + 1,
 * class c has category id c + 1, boxes become `[x, y, w, h]` in the dataset's pixels, and the
 * evaluation-only objects (COCO crowd, VOC difficult) are crowd regions — which training batches
 * leave out but an evaluation must keep, so a detection on one is neither a hit nor a miss.
 */
export function datasetGroundTruth(dataset: Dataset): CocoGroundTruth {
  const objects = dataset.boxes;
  if (!objects) {
    throw new PerturbError(
      `dataset ${dataset.name} has no object boxes to evaluate detections against`,
      'use a detection dataset (perturb list datasets)',
    );
  }
  const count = objects.offsets.length - 1;
  return {
    images: Array.from({ length: count }, (_, i) => ({
      id: i + 1,
      width: dataset.shape.width,
      height: dataset.shape.height,
    })),
    categories: objects.classNames.map((name, c) => ({ id: c + 1, name })),
    annotations: Array.from({ length: count }, (_, i) =>
      Array.from({ length: objects.offsets[i + 1] - objects.offsets[i] }, (_, j) => objects.offsets[i] + j),
    ).flatMap((rows, i) =>
      rows.map((row) => {
        const [x1, y1, x2, y2] = objects.boxes.subarray(4 * row, 4 * row + 4);
        return {
          id: row + 1,
          image_id: i + 1,
          category_id: objects.classes[row] + 1,
          bbox: [x1, y1, x2 - x1, y2 - y1],
          area: objects.areas?.[row] ?? (x2 - x1) * (y2 - y1),
          iscrowd: objects.evaluationOnly?.[row] ? 1 : 0,
        };
      }),
    ),
  };
}
