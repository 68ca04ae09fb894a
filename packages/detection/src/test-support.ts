/** Helpers for this package's tests: fixture loading, closeness checks, hand-built detector outputs and batches. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { type Batch, Rng } from '@perturb/core';
import { expect } from 'vitest';
import type { DetectorOutput } from './detector-output';
import { FasterRcnn, type FasterRcnnOptions } from './faster-rcnn';
import type { BoxTargets } from './ground-truth';

/** A batch that carries its object boxes (core's `Batch` gains `boxes` in issue 19). */
export type BoxedBatch = Batch & { boxes: BoxTargets };

const here = dirname(fileURLToPath(import.meta.url));

/** A JSON fixture written by scripts/roi-align-fixtures.py. */
export function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(here, 'fixtures', name), 'utf8')) as T;
}

/** The largest |a − b| over two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** The parts of a hand-built {@link DetectorOutput}; nested arrays, per image first. */
export interface OutputParts {
  imageSize?: [number, number];
  /** `[A][4]`; default one anchor. */
  anchors?: number[][];
  /** `[N][A]`; default zeros. */
  objectness?: number[][];
  /** `[N][A][4]`; default zeros. */
  rpnDeltas?: number[][][];
  /** `[N][A]`: with it, the output is a training forward pass's. */
  rpnLabels?: number[][];
  /** `[N][A][4]`; default zeros. */
  rpnMatched?: number[][][];
  /** `[N][R][4]`. */
  rois: number[][][];
  /** `[N][R]`; default all 1. */
  valid?: number[][];
  /** `[N][R][classes + 1]`. */
  classLogits: number[][][];
  /** `[N][R][4·(classes + 1)]`; default zeros. */
  boxDeltas?: number[][][];
  /** `[N][R]`: with it, the RoIs are a training forward pass's samples. */
  roiLabels?: number[][];
  /** `[N][R][4]`; default zeros. */
  roiMatched?: number[][][];
}

const fill = (shape: number[], value = 0) => tf.fill(shape, value);

/** A DetectorOutput built from nested arrays, for tests that need no model. */
export function detectorOutput(parts: OutputParts): DetectorOutput {
  const n = parts.rois.length;
  const r = parts.rois[0].length;
  const columns = parts.classLogits[0][0].length;
  const anchors = tf.tensor2d(parts.anchors ?? [[0, 0, 1, 1]]);
  const a = anchors.shape[0];
  const t3 = (values: number[][][] | undefined, shape: number[]) =>
    (values ? tf.tensor3d(values) : fill(shape)) as tf.Tensor3D;
  return {
    imageSize: parts.imageSize ?? [64, 64],
    rpn: {
      anchors,
      objectness: (parts.objectness ? tf.tensor2d(parts.objectness) : fill([n, a])) as tf.Tensor2D,
      deltas: t3(parts.rpnDeltas, [n, a, 4]),
      ...(parts.rpnLabels
        ? {
            labels: tf.tensor2d(parts.rpnLabels, undefined, 'int32'),
            matchedBoxes: t3(parts.rpnMatched, [n, a, 4]),
          }
        : {}),
    },
    rois: {
      boxes: tf.tensor3d(parts.rois),
      valid: (parts.valid ? tf.tensor2d(parts.valid) : fill([n, r], 1)) as tf.Tensor2D,
      classLogits: tf.tensor3d(parts.classLogits),
      boxDeltas: t3(parts.boxDeltas, [n, r, 4 * columns]),
      ...(parts.roiLabels
        ? {
            labels: tf.tensor2d(parts.roiLabels, undefined, 'int32'),
            matchedBoxes: t3(parts.roiMatched, [n, r, 4]),
          }
        : {}),
    },
  };
}

/** A detection batch of `n` blank 64×64 images whose objects are `objects[i]` ([x1, y1, x2, y2, class] rows). */
export function boxedBatch(objects: number[][][]): BoxedBatch {
  const m = Math.max(1, ...objects.map((o) => o.length));
  const pad = (rows: number[][], width: number, value: number) =>
    Array.from({ length: m }, (_, j) => rows[j] ?? new Array(width).fill(value));
  return {
    x: tf.zeros([objects.length, 64, 64, 1]) as tf.Tensor4D,
    y: tf.zeros([objects.length, 1]) as tf.Tensor2D,
    boxes: {
      boxes: tf.tensor3d(
        objects.map((o) =>
          pad(
            o.map((row) => row.slice(0, 4)),
            4,
            0,
          ),
        ),
      ),
      classes: tf.tensor2d(
        objects.map((o) =>
          pad(
            o.map((row) => [row[4]]),
            1,
            -1,
          ).map((row) => row[0]),
        ),
        [objects.length, m],
        'int32',
      ),
    },
  };
}

/**
 * One image, two anchors: anchor 0 positive, matched to its own box moved 1 px right and down
 * (so dx = dy = 0.1 for a 10 px anchor, dw = dh = 0), anchor 1 negative.
 */
export const RPN_PARTS: OutputParts = {
  anchors: [
    [0, 0, 10, 10],
    [20, 20, 30, 30],
  ],
  objectness: [[2, -1]],
  rpnDeltas: [
    [
      [0, 0, 0, 0],
      [5, 5, 5, 5],
    ],
  ],
  rpnLabels: [[1, 0]],
  rpnMatched: [
    [
      [1, 1, 11, 11],
      [0, 0, 0, 0],
    ],
  ],
  rois: [[[0, 0, 10, 10]]],
  classLogits: [[[0, 0, 0]]],
  roiLabels: [[0]],
};

/**
 * One image, three RoIs over 2 classes: RoI 0 is class 1 (label 2), matched to its box moved
 * 1 px right (dx target 10·1/10 = 1), predicting dx = 0.5; RoI 1 background; RoI 2 not sampled.
 */
export const ROI_PARTS: OutputParts = {
  rois: [
    [
      [0, 0, 10, 10],
      [30, 30, 40, 40],
      [5, 5, 20, 20],
    ],
  ],
  classLogits: [
    [
      [0.2, -0.3, 1.5],
      [1, 0, -1],
      [9, -9, 9],
    ],
  ],
  boxDeltas: [
    [
      [7, 7, 7, 7, 7, 7, 7, 7, 0.5, 0, 0, 0],
      [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3],
      [9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9],
    ],
  ],
  roiLabels: [[2, 0, -1]],
  roiMatched: [
    [
      [1, 0, 11, 10],
      [0, 0, 0, 0],
      [0, 0, 0, 0],
    ],
  ],
};

/** {@link RPN_PARTS}' anchors with {@link ROI_PARTS}' RoIs: a whole training forward pass. */
export const TRAINING_PARTS: OutputParts = {
  ...RPN_PARTS,
  rois: ROI_PARTS.rois,
  classLogits: ROI_PARTS.classLogits,
  boxDeltas: ROI_PARTS.boxDeltas,
  roiLabels: ROI_PARTS.roiLabels,
  roiMatched: ROI_PARTS.roiMatched,
};

/** A tiny detector for 32×32 one-channel images with two object classes. */
export function tinyFasterRcnn(seed = 1, extra: Partial<FasterRcnnOptions> = {}): FasterRcnn {
  return new FasterRcnn({
    rng: new Rng(seed),
    numClasses: 2,
    inChannels: 1,
    preset: 'tiny',
    ...extra,
  });
}
