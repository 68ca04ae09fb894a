import * as tf from '@tensorflow/tfjs-core';
import { type Batch, Rng, classifierPgd, initBackend } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DeepLabV3Plus } from './deeplab';
import { segmentationCrossEntropy, segmentationTask } from './task';

/** One 1×2×2 sample: labels [[0, 1], [255, 1]], logits favouring class 0 everywhere but the last pixel. */
function handCase(): { logits: tf.Tensor4D; batch: Batch } {
  return {
    logits: tf.tensor4d([2, 0, 2, 0, 0, 3, 0, 3], [1, 2, 2, 2]),
    batch: {
      x: tf.zeros([1, 2, 2, 1]) as tf.Tensor4D,
      y: tf.tensor2d([[0, 1]]),
      labelMap: { classes: tf.tensor3d([0, 1, 255, 1], [1, 2, 2], 'int32'), ignoreIndex: 255 },
    },
  };
}

describe('segmentationTask', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu', log: false });
  });

  it('scores logits per labelled pixel against the label map', () => {
    const { logits, batch } = handCase();
    const task = segmentationTask(2);
    expect(task.loss(logits, batch).dataSync()[0]).toBeCloseTo(
      segmentationCrossEntropy(logits, batch.labelMap!.classes).dataSync()[0],
      6,
    );
    // Pixels 0 (right), 1 (wrong), 3 (right); pixel 2 is ignored.
    expect(task.countCorrect(logits, batch)).toEqual({ correct: 2, count: 3 });
    const evaluation = task.evaluation!();
    evaluation.add(logits, batch);
    const scores = evaluation.result();
    // Class 0: 1 right, 1 wrongly predicted → IoU 1/2; class 1: 1 of 2 → IoU 1/2.
    expect(scores.meanIoU).toBeCloseTo(0.5, 6);
    expect(scores.pixelAccuracy).toBeCloseTo(2 / 3, 6);
    const predicted = task.predictedTargets(logits, batch);
    expect(Array.from(predicted.labelMap!.classes.dataSync())).toEqual([0, 0, 1, 1]);
  });

  it('refuses a batch without a label map in one line', () => {
    const { logits, batch } = handCase();
    expect(() => segmentationTask(2).loss(logits, { x: batch.x, y: batch.y })).toThrow(
      /needs batches with label maps.*\n?.*segmentation dataset/,
    );
  });

  it('lets core’s PGD attack a DeepLabV3+ per pixel (the loss rises), without leaking tensors', () => {
    const model = new DeepLabV3Plus({
      rng: new Rng(1),
      numClasses: 3,
      inChannels: 1,
      preset: 'tiny',
    });
    const rng = new Rng(2);
    const batch: Batch = {
      x: rng.uniformTensor([2, 16, 16, 1]) as tf.Tensor4D,
      y: tf.tensor2d([
        [1, 0, 0],
        [0, 1, 0],
      ]),
      labelMap: {
        classes: tf.tensor3d(
          Array.from({ length: 512 }, (_, i) => i % 3),
          [2, 16, 16],
          'int32',
        ),
        ignoreIndex: 255,
      },
    };
    const loss = (x: tf.Tensor4D) =>
      tf.tidy(() => model.task.loss(model.logits(x, { training: false }), batch).dataSync()[0]);
    const settings = {
      norm: 'linf',
      epsilon: 0.1,
      stepSize: 0.05,
      steps: 3,
      randomStart: false,
      labels: 'true',
      bnMode: 'eval',
    } as const;
    const before = tf.memory().numTensors;
    const [attacked] = classifierPgd(model, batch, settings, {
      parts: [batch.x],
      around: 'parts',
      logits: ([x], options) => model.logits(x as tf.Tensor4D, options),
    });
    // The attack's only new tensor is the one it returns.
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(loss(attacked as tf.Tensor4D)).toBeGreaterThan(loss(batch.x));
  });
});
