import * as tf from '@tensorflow/tfjs-core';
import { PerturbError, initBackend } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { SegmentationMetrics, confusionMatrix, meanIoU, segmentationScores } from './metrics';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

// Six pixels, the last ignored. By hand, rows = target, columns = prediction:
//   t0: p0, p1 → [1, 1, 0];  t1: p1, p1 → [0, 2, 0];  t2: p0 → [1, 0, 0]
// IoU: class 0 = 1 / (2 + 2 − 1) = 1/3, class 1 = 2 / (2 + 3 − 2) = 2/3, class 2 = 0 / (1 + 0 − 0) = 0.
const TARGET = [0, 0, 1, 1, 2, 255];
const PREDICTED = [0, 1, 1, 1, 0, 2];

describe('segmentation metrics', () => {
  it('builds the confusion matrix without the ignored pixel', () => {
    expect(confusionMatrix(PREDICTED, TARGET, { numClasses: 3 })).toEqual([
      [1, 1, 0],
      [0, 2, 0],
      [1, 0, 0],
    ]);
  });

  it('computes IoU, mIoU, pixel accuracy, mean accuracy and fwIoU by hand', () => {
    const s = segmentationScores(confusionMatrix(PREDICTED, TARGET, { numClasses: 3 }));
    expect(s.perClassIoU[0]).toBeCloseTo(1 / 3, 12);
    expect(s.perClassIoU[1]).toBeCloseTo(2 / 3, 12);
    expect(s.perClassIoU[2]).toBe(0);
    expect(s.meanIoU).toBeCloseTo(1 / 3, 12);
    expect(s.pixelAccuracy).toBeCloseTo(3 / 5, 12);
    expect(s.perClassAccuracy).toEqual([0.5, 1, 0]);
    expect(s.meanAccuracy).toBeCloseTo(0.5, 12);
    // (2/5)(1/3) + (2/5)(2/3) + (1/5)(0)
    expect(s.frequencyWeightedIoU).toBeCloseTo(0.4, 12);
    expect(s.pixels).toBe(5);
  });

  it('leaves classes absent from target and prediction out of the mean (NaN IoU)', () => {
    const s = segmentationScores(confusionMatrix(PREDICTED, TARGET, { numClasses: 5 }));
    expect(s.perClassIoU.slice(3).every(Number.isNaN)).toBe(true);
    expect(s.meanIoU).toBeCloseTo(1 / 3, 12);
    expect(meanIoU(PREDICTED, TARGET, { numClasses: 5 })).toBeCloseTo(1 / 3, 12);
    // A class predicted but absent from the target counts, with IoU 0.
    expect(meanIoU([3, 3], [0, 0], { numClasses: 5 })).toBe(0);
    expect(meanIoU([0, 0], [0, 0], { numClasses: 5 })).toBe(1);
  });

  it('uses a custom ignore index and treats 255 as a label then', () => {
    expect(meanIoU([1, 0, 1], [1, -1, 1], { numClasses: 2, ignoreIndex: -1 })).toBe(1);
    expect(() => meanIoU([0], [255], { numClasses: 2, ignoreIndex: -1 })).toThrow(PerturbError);
  });

  it('accepts label-map tensors and logits [N, H, W, C] and leaks no tensor', () => {
    const target = tf.tensor3d(TARGET, [1, 2, 3], 'int32');
    const predicted = tf.tensor3d(PREDICTED, [1, 2, 3], 'int32');
    // Logits whose arg-max is PREDICTED.
    const logits = tf.tidy(() =>
      tf.reshape(tf.mul(tf.oneHot(tf.tensor1d(PREDICTED, 'int32'), 3), 5), [1, 2, 3, 3]),
    );
    const before = tf.memory().numTensors;
    expect(meanIoU(predicted, target, { numClasses: 3 })).toBeCloseTo(1 / 3, 12);
    expect(meanIoU(logits, target, { numClasses: 3 })).toBeCloseTo(1 / 3, 12);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([target, predicted, logits]);
  });

  it('streams: batches add up to the scores of everything at once', () => {
    const metrics = new SegmentationMetrics({ numClasses: 3 });
    metrics.update(PREDICTED.slice(0, 2), TARGET.slice(0, 2)).update(PREDICTED.slice(2), TARGET.slice(2));
    const all = segmentationScores(confusionMatrix(PREDICTED, TARGET, { numClasses: 3 }));
    expect(metrics.result()).toEqual(all);
    const other = new SegmentationMetrics({ numClasses: 3 }).update(PREDICTED, TARGET);
    expect(new SegmentationMetrics({ numClasses: 3 }).merge(other).result()).toEqual(all);
    metrics.reset();
    expect(metrics.result().pixels).toBe(0);
    expect(metrics.result().meanIoU).toBe(0);
  });

  it('refuses mismatched sizes and labels outside the classes with one clear line', () => {
    expect(() => meanIoU([0, 1], [0], { numClasses: 2 })).toThrow(/2 pixels and the target 1/);
    expect(() => meanIoU([0], [7], { numClasses: 2 })).toThrow(/target label 7 at pixel 0/);
    expect(() => meanIoU([9], [1], { numClasses: 2 })).toThrow(/predicted label 9/);
    expect(() => new SegmentationMetrics({ numClasses: 0 })).toThrow(PerturbError);
    expect(() => segmentationScores([[1, 2]])).toThrow(/not square/);
  });
});
