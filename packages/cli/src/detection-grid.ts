/** The predicted | ground-truth boxes grid a detection run writes next to its result. */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { type Model, batchTensors, taskOf } from '@perturb/core';
import { writeFileAtomic } from '@perturb/core/node';
import { type Dataset, toBatch } from '@perturb/datasets';
import { type DetectionGridRow, detectionGrid } from '@perturb/detection';
import { encodeRgbPng } from '@perturb/segmentation';
import type { TestGridOptions } from './prediction-grid';

/** Name of the grid each detection run writes. */
export const DETECTION_GRID = 'detections.png';

/**
 * Writes `<out>/detections.png`: for the first `count` test images, one row of the image with
 * the model's boxes (its task's predicted targets, the model in eval mode) | the image with the
 * ground-truth boxes, each box in its class's colour. Returns the file written.
 */
export function writeDetectionGrid(
  out: string,
  model: Model,
  testSet: Dataset,
  { prefix = '', count = 6 }: TestGridOptions = {},
): string {
  const { height, width, channels } = testSet.shape;
  const shown = Math.min(count, testSet.labels.length);
  const batch = toBatch(
    testSet,
    Array.from({ length: shown }, (_, i) => i),
    { target: 'boxes' },
  );
  const read = (boxes: NonNullable<typeof batch.boxes>) => ({
    boxes: boxes.boxes.arraySync(),
    classes: boxes.classes.arraySync(),
  });
  const truth = read(batch.boxes!);
  const predicted = tf.tidy(() => {
    const output = model.logits(batch.x, { training: false });
    return read(taskOf(model).predictedTargets(output, batch).boxes!);
  });
  tf.dispose(batchTensors(batch));
  const area = height * width;
  const rows: DetectionGridRow[] = Array.from({ length: shown }, (_, i) => {
    const pixels = testSet.images.subarray(i * area * channels, (i + 1) * area * channels);
    return {
      image: channels === 3 ? { width, height, channels: 3, data: pixels } : { width, height, data: pixels },
      predicted: { boxes: predicted.boxes[i].flat(), classes: predicted.classes[i] },
      truth: { boxes: truth.boxes[i].flat(), classes: truth.classes[i] },
    };
  });
  const file = join(out, prefix + DETECTION_GRID);
  writeFileAtomic(file, encodeRgbPng(detectionGrid(rows, { zoom: width < 128 ? 2 : 1 })));
  return file;
}
