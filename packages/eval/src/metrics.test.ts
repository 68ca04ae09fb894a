import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { MetricTally, accuracy, confusionMatrix, expectedCalibrationError, topKAccuracy } from './metrics';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

/** Row 0 right, row 1 wrong but 2nd, row 2 wrong and 3rd, row 3 right. */
const LOGITS = [
  [2, 1, 0],
  [0, 3, 1],
  [1, 0, 2],
  [0, 0, 5],
];
const LABELS = [0, 2, 1, 2];

/** Each confidence in its own of 15 bins; 3 of 4 right at mean confidence 0.75. */
const PROBABILITIES = [
  [0.9, 0.1],
  [0.8, 0.2],
  [0.3, 0.7],
  [0.6, 0.4],
];
const CALIBRATION_LABELS = [0, 1, 1, 0];

describe('classification metrics', () => {
  it('computes accuracy and top-k accuracy from logits', () => {
    tf.tidy(() => {
      const logits = tf.tensor2d(LOGITS);
      const labels = tf.tensor1d(LABELS, 'int32');
      expect(accuracy(logits, labels)).toBe(0.5);
      expect(topKAccuracy(logits, labels, 1)).toBe(0.5);
      expect(topKAccuracy(logits, labels, 2)).toBe(0.75);
      expect(topKAccuracy(logits, labels, 3)).toBe(1);
    });
  });

  it('takes one-hot labels like class indices', () => {
    tf.tidy(() => {
      const oneHot = tf.cast(tf.oneHot(tf.tensor1d(LABELS, 'int32'), 3), 'float32') as tf.Tensor2D;
      expect(accuracy(tf.tensor2d(LOGITS), oneHot)).toBe(0.5);
    });
  });

  it('counts a tie at the top-k boundary as a hit, argmax takes the first index', () => {
    tf.tidy(() => {
      const logits = tf.tensor2d([[1, 1, 0]]);
      const labels = tf.tensor1d([1], 'int32');
      expect(accuracy(logits, labels)).toBe(0);
      expect(topKAccuracy(logits, labels, 1)).toBe(1);
    });
  });

  it('builds the confusion matrix as [label][predicted]', () => {
    tf.tidy(() => {
      expect(confusionMatrix(tf.tensor2d(LOGITS), tf.tensor1d(LABELS, 'int32'))).toEqual([
        [1, 0, 0],
        [0, 0, 1],
        [0, 1, 1],
      ]);
    });
  });

  it('computes the expected calibration error of known probabilities', () => {
    tf.tidy(() => {
      const probabilities = tf.tensor2d(PROBABILITIES);
      const labels = tf.tensor1d(CALIBRATION_LABELS, 'int32');
      // Own bins: mean |correct − confidence| = (0.1 + 0.8 + 0.3 + 0.4) / 4.
      expect(expectedCalibrationError(probabilities, labels, { scores: 'probabilities' })).toBeCloseTo(
        0.4,
        6,
      );
      // One bin: |accuracy − mean confidence| = |0.75 − 0.75|.
      expect(
        expectedCalibrationError(probabilities, labels, { scores: 'probabilities', bins: 1 }),
      ).toBeCloseTo(0, 6);
      // Logits whose softmax is those probabilities give the same value.
      expect(expectedCalibrationError(tf.log(probabilities) as tf.Tensor2D, labels)).toBeCloseTo(0.4, 5);
    });
  });

  it('accumulates over batches to the same metrics as one batch', () => {
    tf.tidy(() => {
      const tally = new MetricTally(3, { topK: 2 });
      tally.add(tf.tensor2d(LOGITS.slice(0, 2)), tf.tensor1d(LABELS.slice(0, 2), 'int32'));
      tally.add(tf.tensor2d(LOGITS.slice(2)), tf.tensor1d(LABELS.slice(2), 'int32'));
      const whole = new MetricTally(3, { topK: 2 });
      whole.add(tf.tensor2d(LOGITS), tf.tensor1d(LABELS, 'int32'));
      expect(tally.result()).toEqual(whole.result());
      expect(tally.result().count).toBe(4);
    });
  });

  it('rejects scores that do not match the classes or labels', () => {
    tf.tidy(() => {
      expect(() => new MetricTally(4).add(tf.tensor2d(LOGITS), tf.tensor1d(LABELS, 'int32'))).toThrow(
        /do not match/,
      );
      expect(() => accuracy(tf.tensor2d(LOGITS), tf.tensor1d([0, 1, 2, 7], 'int32'))).toThrow(
        /not a class index/,
      );
      expect(() => new MetricTally(3, { topK: 0 })).toThrow(/positive integer/);
    });
  });
});
