import * as tf from '@tensorflow/tfjs-core';
import { PerturbError, Rng, assertNoTensorLeak, initBackend } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { detectionLosses } from './detection-loss';
import { detectionTask } from './task';
import {
  type BoxedBatch,
  type OutputParts,
  TRAINING_PARTS,
  boxedBatch,
  detectorOutput,
  tinyFasterRcnn,
} from './test-support';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

/** Class logits over (background, class 0, class 1) that give `cls` probability ≈ 0.98. */
const sure = (cls: number) => [0, 1, 2].map((column) => (column === cls + 1 ? 5 : 0));

/**
 * An inference output whose RoIs (zero deltas) are the detections: [x1, y1, x2, y2, class] rows
 * per image, padded with invalid RoIs to the longest.
 */
function detecting(images: number[][][]): OutputParts {
  const r = Math.max(...images.map((rows) => rows.length));
  const padded = (rows: number[][]) => Array.from({ length: r }, (_, k) => rows[k]);
  return {
    rois: images.map((rows) => padded(rows).map((row) => row?.slice(0, 4) ?? [0, 0, 1, 1])),
    valid: images.map((rows) => padded(rows).map((row) => (row ? 1 : 0))),
    classLogits: images.map((rows) => padded(rows).map((row) => sure(row?.[4] ?? -1))),
  };
}

function evaluate(batches: { output: OutputParts; objects: number[][][] }[]) {
  const evaluation = detectionTask(2).evaluation?.();
  if (!evaluation) throw new Error('the detection task has an evaluation');
  for (const { output, objects } of batches) {
    const [logits, batch] = [detectorOutput(output), boxedBatch(objects)];
    evaluation.add(logits, batch);
    tf.dispose([logits, batch]);
  }
  return evaluation.result();
}

const objects = [
  [
    [4, 4, 20, 20, 0],
    [30, 30, 60, 50, 1],
  ],
  [[10, 10, 40, 40, 1]],
];

describe('detectionTask evaluation', () => {
  it('scores perfect detections 1 (all small objects: medium and large have nothing, −1)', () => {
    const scores = evaluate([{ output: detecting(objects), objects }]);
    const one = expect.closeTo(1, 9);
    expect(scores).toEqual({
      mAP: one,
      AP50: one,
      AP75: one,
      APsmall: one,
      APmedium: -1,
      APlarge: -1,
      AR100: one,
    });
  });

  it('counts a detection at IoU 0.72 as a hit at 5 of the 10 IoU thresholds', () => {
    // A 40×40 object (medium) found by a box 28.8 px tall: IoU 1152 / 1600 = 0.72.
    const scores = evaluate([{ output: detecting([[[0, 0, 40, 28.8, 0]]]), objects: [[[0, 0, 40, 40, 0]]] }]);
    expect(scores.mAP).toBeCloseTo(0.5, 6);
    expect(scores.AP50).toBeCloseTo(1, 9);
    expect(scores.AP75).toBe(0);
    expect(scores.APmedium).toBeCloseTo(0.5, 6);
    expect(scores.AR100).toBeCloseTo(0.5, 6);
  });

  it('numbers images across batches, so an object missed in a later batch lowers the AP', () => {
    // Class 0: found in batch 1, missed in batch 2 (the model sees only background there).
    const scores = evaluate([
      { output: detecting([[[4, 4, 20, 20, 0]]]), objects: [[[4, 4, 20, 20, 0]]] },
      { output: { rois: [[[4, 4, 20, 20]]], classLogits: [[[9, 0, 0]]] }, objects: [[[4, 4, 20, 20, 0]]] },
    ]);
    // Precision 1 up to recall 0.5: 51 of COCO's 101 recall points.
    expect(scores.AP50).toBeCloseTo(51 / 101, 6);
    expect(scores.AR100).toBeCloseTo(0.5, 6);
  });

  it('refuses a batch without boxes in one line', () => {
    const evaluation = detectionTask(2).evaluation?.();
    const output = detectorOutput(detecting(objects));
    const batch = { x: tf.zeros([2, 64, 64, 1]) as tf.Tensor4D, y: tf.zeros([2, 1]) as tf.Tensor2D };
    expect(() => evaluation?.add(output, batch)).toThrow(/a detection model needs batches with boxes/);
    tf.dispose([output, batch]);
  });
});

describe('detectionTask', () => {
  // TRAINING_PARTS with RoI 1 (background) classified wrong: RoI 0 (label 2) is right, RoI 2 not sampled.
  const training: OutputParts = {
    ...TRAINING_PARTS,
    classLogits: [
      [
        [0.2, -0.3, 1.5],
        [0, 1, -1],
        [9, -9, 9],
      ],
    ],
  };

  it('trains on the sum of the four losses', () => {
    const output = detectorOutput(training);
    const losses = detectionLosses(output);
    const sum = Object.values(losses).reduce((total, l) => total + l.dataSync()[0], 0);
    const batch = boxedBatch([[]]);
    const loss = detectionTask(2).loss(output, batch);
    expect(loss.dataSync()[0]).toBeCloseTo(sum, 6);
    tf.dispose([output, loss, Object.values(losses), batch]);
  });

  it('has a loss on an evaluation forward pass (targets, no RoI samples) and none without targets', () => {
    const evaluation = detectorOutput({ ...training, roiLabels: undefined });
    const batch = boxedBatch([[[1, 0, 11, 10, 1]]]);
    const truth = () => [{ boxes: Float32Array.from([1, 0, 11, 10]), classes: Int32Array.from([1]) }];
    const losses = detectionLosses(evaluation, truth);
    const sum = Object.values(losses).reduce((total, l) => total + l.dataSync()[0], 0);
    const loss = detectionTask(2).loss(evaluation, batch);
    expect(loss.dataSync()[0]).toBeCloseTo(sum, 6);
    const inference = detectorOutput({ ...training, rpnLabels: undefined, roiLabels: undefined });
    expect(() => detectionTask(2).loss(inference, batch)).toThrow(/needs the anchor labels/);
    tf.dispose([evaluation, batch, Object.values(losses), loss, inference]);
  });

  it('counts sampled RoIs classified right on a training forward pass', () => {
    const output = detectorOutput(training);
    expect(detectionTask(2).countCorrect(output, boxedBatch([[]]))).toEqual({ correct: 1, count: 2 });
    tf.dispose(output);
  });

  it('counts objects found by a confident detection of their class on an inference forward pass', () => {
    // Object 0 found (IoU 1); object 1's only detection has the wrong class.
    const output = detectorOutput(
      detecting([
        [
          [4, 4, 20, 20, 0],
          [30, 30, 60, 50, 0],
        ],
      ]),
    );
    const batch = boxedBatch([objects[0]]);
    expect(detectionTask(2).countCorrect(output, batch)).toEqual({ correct: 1, count: 2 });
    tf.dispose([output, batch]);
  });

  it('predicts the detections scoring ≥ predictionScore as the batch’s boxes, padded with class −1', async () => {
    const task = detectionTask(2);
    // Image 0: a sure class-1 box and a class-0 box at ≈ 0.33; image 1: nothing sure.
    const output = detectorOutput({
      rois: [
        [
          [2, 2, 12, 12],
          [30, 30, 40, 40],
        ],
        [
          [0, 0, 8, 8],
          [0, 0, 8, 8],
        ],
      ],
      classLogits: [
        [sure(1), [0, 0, -9]],
        [
          [0, 0, 0],
          [0, 0, 0],
        ],
      ],
    });
    const batch = boxedBatch(objects);
    const predicted = task.predictedTargets(output, batch) as BoxedBatch;
    expect(predicted.x).toBe(batch.x);
    expect(predicted.y).not.toBe(batch.y);
    expect(predicted.boxes.boxes.arraySync()).toEqual([[[2, 2, 12, 12]], [[0, 0, 0, 0]]]);
    expect(predicted.boxes.classes.arraySync()).toEqual([[1], [-1]]);
    tf.dispose([predicted.y, predicted.boxes]);
    await assertNoTensorLeak(() => {
      const again = task.predictedTargets(output, batch) as BoxedBatch;
      tf.dispose([again.y, again.boxes]);
      task.countCorrect(output, batch);
      task.evaluation?.().add(output, batch);
    });
    tf.dispose([output, batch]);
  });

  it('refuses outputs that are not a detector’s, or scored over other classes, in one line', () => {
    const logits = tf.zeros([2, 3]);
    expect(() => detectionTask(2).loss(logits, boxedBatch([[]]))).toThrow(PerturbError);
    const output = detectorOutput(detecting(objects));
    expect(() => detectionTask(5).countCorrect(output, boxedBatch(objects))).toThrow(
      /scores 5 object classes, but the detector's RoI head gives 3 class columns/,
    );
    expect(() => detectionTask(0)).toThrow(/a detection task over 0 classes/);
    tf.dispose([logits, output]);
  });
});

describe('on a FasterRcnn', () => {
  it('trains with finite gradients for every parameter and evaluates through its task', async () => {
    const model = tinyFasterRcnn();
    const batch = boxedBatch([
      [
        [2, 3, 16, 20, 0],
        [14, 10, 30, 28, 1],
      ],
      [[5, 5, 25, 21, 1]],
    ]);
    const x = new Rng(7).uniformTensor([2, 32, 32, 1]) as tf.Tensor4D;
    const input = { ...batch, x };
    const step = () => {
      const { value, grads } = tf.variableGrads(
        () => model.task.loss(model.logits(x, { training: true, targets: input, rng: new Rng(3) }), input),
        model.parameters() as tf.Variable[],
      );
      const numbers = [value.dataSync()[0], ...Object.values(grads).flatMap((g) => Array.from(g.dataSync()))];
      tf.dispose([value, Object.values(grads)]);
      return { numbers, count: Object.keys(grads).length };
    };
    const { numbers, count } = step();
    expect(count).toBe(model.parameters().length);
    expect(numbers.every(Number.isFinite)).toBe(true);
    const evaluation = model.task.evaluation?.();
    tf.tidy(() => {
      const output = model.logits(x, { training: false, targets: input });
      expect(Number.isFinite(model.task.loss(output, input).dataSync()[0])).toBe(true);
      expect(model.task.countCorrect(output, input).count).toBe(3);
      evaluation?.add(output, input);
    });
    const scores = evaluation?.result();
    expect(Object.keys(scores ?? {})).toEqual([
      'mAP',
      'AP50',
      'AP75',
      'APsmall',
      'APmedium',
      'APlarge',
      'AR100',
    ]);
    // The step above was the warm-up.
    await assertNoTensorLeak(step, { warmup: 0, iterations: 2 });
    tf.dispose([batch, x]);
    model.dispose();
  });
});
