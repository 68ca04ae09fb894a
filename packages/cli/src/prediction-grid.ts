/** The prediction | ground truth | error grid a segmentation run writes next to its result. */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Model } from '@perturb/core';
import { writeFileAtomic } from '@perturb/core/node';
import { type Dataset, toBatch } from '@perturb/datasets';
import { type GridRow, encodeRgbPng, segmentationGrid } from '@perturb/segmentation';

/** Name of the grid each segmentation run writes. */
export const PREDICTION_GRID = 'predictions.png';

/** Where a test grid goes and how many images it shows. */
export interface TestGridOptions {
  /** Put before the file's name (`eval-` writes `eval-predictions.png`). Default none. */
  prefix?: string;
  /** Test images shown, the first ones. Default 6. */
  count?: number;
}

/**
 * Writes `<out>/predictions.png`: for the first `count` test images, one row of image |
 * prediction | ground truth | error map (wrong pixels red, ignored ones grey), the model in eval
 * mode. Returns the file written.
 */
export function writePredictionGrid(
  out: string,
  model: Model,
  testSet: Dataset,
  { prefix = '', count = 6 }: TestGridOptions = {},
): string {
  const { height, width, channels } = testSet.shape;
  const shown = Math.min(count, testSet.labels.length);
  const predicted = tf.tidy(() => {
    const batch = toBatch(
      testSet,
      Array.from({ length: shown }, (_, i) => i),
    );
    const logits = model.logits(batch.x, { training: false }) as tf.Tensor4D; // per-pixel: a segmenter
    return tf.cast(tf.argMax(logits, 3), 'int32').dataSync();
  });
  const area = height * width;
  const maps = testSet.labelMaps!;
  const rows: GridRow[] = Array.from({ length: shown }, (_, i) => {
    const pixels = testSet.images.subarray(i * area * channels, (i + 1) * area * channels);
    return {
      image: channels === 3 ? { width, height, channels: 3, data: pixels } : { width, height, data: pixels },
      predicted: { width, height, data: Uint8Array.from(predicted.subarray(i * area, (i + 1) * area)) },
      target: { width, height, data: maps.classes.subarray(i * area, (i + 1) * area) },
    };
  });
  const grid = segmentationGrid(rows, { ignoreIndex: maps.ignoreIndex, zoom: width < 128 ? 2 : 1 });
  const file = join(out, prefix + PREDICTION_GRID);
  writeFileAtomic(file, encodeRgbPng(grid));
  return file;
}
