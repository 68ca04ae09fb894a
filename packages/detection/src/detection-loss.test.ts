import * as tf from '@tensorflow/tfjs-core';
import { PerturbError, assertNoTensorLeak, initBackend } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type DetectionLosses, detectionLosses, roiLosses, rpnLosses } from './detection-loss';
import type { DetectorOutput } from './detector-output';
import {
  type OutputParts,
  ROI_PARTS,
  RPN_PARTS,
  TRAINING_PARTS,
  detectorOutput,
  fixture,
  maxAbsDiff,
} from './test-support';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

// Hand computations, in plain arithmetic.
const bce = (x: number, y: number) => Math.max(x, 0) - x * y + Math.log(1 + Math.exp(-Math.abs(x)));
const smoothL1 = (d: number, beta = 1 / 9) =>
  Math.abs(d) < beta ? (0.5 * d * d) / beta : Math.abs(d) - 0.5 * beta;
const logSoftmaxAt = (row: number[], k: number) =>
  row[k] - Math.log(row.reduce((sum, v) => sum + Math.exp(v), 0));
const value = (t: tf.Tensor) => t.dataSync()[0];

function withOutput<T>(parts: OutputParts, f: (output: DetectorOutput) => T): T {
  const output = detectorOutput(parts);
  try {
    return f(output);
  } finally {
    tf.dispose(output);
  }
}

describe('RPN losses', () => {
  it('are BCE over the sampled anchors and smooth-L1 on positives per sampled anchor', () => {
    withOutput(RPN_PARTS, (output) => {
      const { objectness, rpnBoxRegression } = rpnLosses(output);
      expect(value(objectness)).toBeCloseTo((bce(2, 1) + bce(-1, 0)) / 2, 6);
      // The negative anchor's deltas (5s) are not regressed.
      expect(value(rpnBoxRegression)).toBeCloseTo((smoothL1(0.1) + smoothL1(0.1)) / 2, 6);
    });
  });

  it('ignore anchors that were not sampled, whatever their outputs', () => {
    const extra: OutputParts = {
      ...RPN_PARTS,
      anchors: [...(RPN_PARTS.anchors ?? []), [40, 40, 50, 50]],
      objectness: [[2, -1, 40]],
      rpnDeltas: [[...(RPN_PARTS.rpnDeltas ?? [[]])[0], [9, 9, 9, 9]]],
      rpnLabels: [[1, 0, -1]],
      rpnMatched: [[...(RPN_PARTS.rpnMatched ?? [[]])[0], [40, 40, 60, 60]]],
    };
    const values = (parts: OutputParts) =>
      withOutput(parts, (output) => {
        const losses = rpnLosses(output);
        return [value(losses.objectness), value(losses.rpnBoxRegression)];
      });
    expect(values(extra)).toEqual(values(RPN_PARTS));
  });

  it('normalise by the sampled anchors of the whole batch, as torchvision concatenates images', () => {
    const twoImages: OutputParts = {
      ...RPN_PARTS,
      objectness: [
        [2, -1],
        [0.5, 3],
      ],
      rpnDeltas: [RPN_PARTS.rpnDeltas?.[0] ?? [], RPN_PARTS.rpnDeltas?.[0] ?? []],
      rpnLabels: [
        [1, 0],
        [0, -1],
      ],
      rpnMatched: [RPN_PARTS.rpnMatched?.[0] ?? [], RPN_PARTS.rpnMatched?.[0] ?? []],
      rois: [[[0, 0, 10, 10]], [[0, 0, 10, 10]]],
      classLogits: [[[0, 0, 0]], [[0, 0, 0]]],
      roiLabels: [[0], [0]],
    };
    withOutput(twoImages, (output) => {
      const { objectness, rpnBoxRegression } = rpnLosses(output);
      expect(value(objectness)).toBeCloseTo((bce(2, 1) + bce(-1, 0) + bce(0.5, 0)) / 3, 6);
      expect(value(rpnBoxRegression)).toBeCloseTo((2 * smoothL1(0.1)) / 3, 6);
    });
  });

  it('give a zero box loss, a zero gradient and a finite BCE without positives', () => {
    const negatives: OutputParts = { ...RPN_PARTS, rpnLabels: [[0, 0]] };
    withOutput(negatives, (output) => {
      const { objectness, rpnBoxRegression } = rpnLosses(output);
      expect(value(objectness)).toBeCloseTo((bce(2, 0) + bce(-1, 0)) / 2, 6);
      expect(value(rpnBoxRegression)).toBe(0);
      const grad = tf.grad(
        (deltas: tf.Tensor) =>
          rpnLosses({ ...output, rpn: { ...output.rpn, deltas: deltas as tf.Tensor3D } }).rpnBoxRegression,
      )(output.rpn.deltas);
      expect(Array.from(grad.dataSync())).toEqual(new Array(8).fill(0));
    });
  });
});

describe('RoI losses', () => {
  it('are cross-entropy over the sampled RoIs and class-specific smooth-L1 per sampled RoI', () => {
    withOutput(ROI_PARTS, (output) => {
      const { classifier, boxRegression } = roiLosses(output);
      const logits = ROI_PARTS.classLogits[0];
      expect(value(classifier)).toBeCloseTo(
        -(logSoftmaxAt(logits[0], 2) + logSoftmaxAt(logits[1], 0)) / 2,
        6,
      );
      // Only class 1's deltas of the positive count: dx 0.5 against 1, the rest exact.
      expect(value(boxRegression)).toBeCloseTo(smoothL1(0.5 - 1) / 2, 6);
    });
  });

  it('send gradients only into the sampled logits and the positive’s own-class deltas, all finite', () => {
    withOutput(ROI_PARTS, (output) => {
      const [logitsGrad, deltasGrad] = tf.grads((logits: tf.Tensor, deltas: tf.Tensor) => {
        const rois = { ...output.rois, classLogits: logits as tf.Tensor3D, boxDeltas: deltas as tf.Tensor3D };
        const { classifier, boxRegression } = roiLosses({ ...output, rois });
        return tf.add(classifier, boxRegression);
      })([output.rois.classLogits, output.rois.boxDeltas]);
      const logitsRows = logitsGrad.arraySync() as number[][][];
      const deltaRows = deltasGrad.arraySync() as number[][][];
      expect(logitsRows[0].flat().every(Number.isFinite)).toBe(true);
      expect(logitsRows[0][0].some((g) => g !== 0)).toBe(true);
      expect(logitsRows[0][2]).toEqual([0, 0, 0]);
      // d/d(dx) of (|0.5 − 1| − β/2) / 2 = −1/2; every other delta untouched.
      expect(deltaRows[0][0][8]).toBeCloseTo(-0.5, 6);
      expect(deltaRows[0].flat().filter((g) => g !== 0)).toHaveLength(1);
    });
  });

  it('refuse, in one line, an output whose RoIs were not sampled', () => {
    withOutput({ ...ROI_PARTS, roiLabels: undefined }, (output) => {
      expect(() => roiLosses(output)).toThrow(/the RoI losses need the RoI labels a training forward pass/);
    });
  });

  it('refuse a label beyond the head’s columns in one line', () => {
    withOutput({ ...ROI_PARTS, roiLabels: [[3, 0, -1]] }, (output) => {
      expect(() => roiLosses(output)).toThrow(/RoI 0 has label 3, but the head scores only 3 columns/);
    });
  });
});

describe('detectionLosses', () => {
  const training = TRAINING_PARTS;

  it('say in one line that a forward pass without targets has no samples to score', () => {
    withOutput({ ...training, rpnLabels: undefined, roiLabels: undefined }, (output) => {
      expect(() => detectionLosses(output)).toThrow(PerturbError);
      expect(() => detectionLosses(output)).toThrow(
        /needs the anchor labels a forward pass with targets draws/,
      );
    });
  });

  it('label the RoIs of a pass with targets but no RoI samples against the ground truth', async () => {
    // ROI_PARTS' RoIs: RoI 0 on its object (class 1), RoI 1 far from it, RoI 2 padding.
    const truth = () => [{ boxes: Float32Array.from([1, 0, 11, 10]), classes: Int32Array.from([1]) }];
    const evaluation = detectorOutput({ ...training, roiLabels: undefined, valid: [[1, 1, 0]] });
    const sampled = detectorOutput(training);
    const numbers = (losses: DetectionLosses) => {
      const out = Object.values(losses).map(value);
      tf.dispose(Object.values(losses));
      return out;
    };
    // The same labels (2, 0, −1) and matched boxes as the training pass's samples.
    expect(numbers(detectionLosses(evaluation, truth))).toEqual(numbers(detectionLosses(sampled)));
    const grad = tf.grad((logits: tf.Tensor) =>
      tf.addN(
        Object.values(
          detectionLosses(
            { ...evaluation, rois: { ...evaluation.rois, classLogits: logits as tf.Tensor3D } },
            truth,
          ),
        ),
      ),
    )(evaluation.rois.classLogits);
    expect(Array.from(grad.dataSync()).every(Number.isFinite)).toBe(true);
    await assertNoTensorLeak(() => numbers(detectionLosses(evaluation, truth)));
    tf.dispose([evaluation, sampled, grad]);
  });

  it('are the same numbers on every call and leave no tensors behind', async () => {
    const output = detectorOutput(training);
    const numbers = () => {
      const losses = detectionLosses(output);
      const out = Object.values(losses).map(value);
      tf.dispose(Object.values(losses));
      return out;
    };
    expect(numbers()).toEqual(numbers());
    await assertNoTensorLeak(numbers);
    tf.dispose(output);
  });
});

interface TrainingFixture {
  numClasses: number;
  imageSize: [number, number];
  anchors: number[];
  objectness: number[];
  rpnDeltas: number[];
  rpnLabels: number[];
  rpnMatched: number[];
  rois: number[];
  classLogits: number[];
  boxDeltas: number[];
  roiLabels: number[];
  roiMatched: number[];
  losses: Record<keyof DetectionLosses, number>;
  grads: { objectness: number[]; rpnDeltas: number[]; classLogits: number[]; boxDeltas: number[] };
}

describe('against torchvision', () => {
  const f = fixture<{ training: TrainingFixture }>('detection-task.json').training;
  const n = 2;
  const a = f.anchors.length / 4;
  const r = f.rois.length / (4 * n);
  const columns = f.numClasses + 1;

  it('gives RegionProposalNetwork.compute_loss’s and fastrcnn_loss’s losses and gradients', () => {
    const trained = [
      tf.tensor2d(f.objectness, [n, a]),
      tf.tensor3d(f.rpnDeltas, [n, a, 4]),
      tf.tensor3d(f.classLogits, [n, r, columns]),
      tf.tensor3d(f.boxDeltas, [n, r, 4 * columns]),
    ];
    const fixed = {
      anchors: tf.tensor2d(f.anchors, [a, 4]),
      rpnLabels: tf.tensor2d(f.rpnLabels, [n, a], 'int32'),
      rpnMatched: tf.tensor3d(f.rpnMatched, [n, a, 4]),
      rois: tf.tensor3d(f.rois, [n, r, 4]),
      valid: tf.ones([n, r]) as tf.Tensor2D,
      roiLabels: tf.tensor2d(f.roiLabels, [n, r], 'int32'),
      roiMatched: tf.tensor3d(f.roiMatched, [n, r, 4]),
    };
    const output = ([objectness, deltas, classLogits, boxDeltas]: tf.Tensor[]): DetectorOutput => ({
      imageSize: f.imageSize,
      rpn: {
        anchors: fixed.anchors,
        objectness: objectness as tf.Tensor2D,
        deltas: deltas as tf.Tensor3D,
        labels: fixed.rpnLabels,
        matchedBoxes: fixed.rpnMatched,
      },
      rois: {
        boxes: fixed.rois,
        valid: fixed.valid,
        classLogits: classLogits as tf.Tensor3D,
        boxDeltas: boxDeltas as tf.Tensor3D,
        labels: fixed.roiLabels,
        matchedBoxes: fixed.roiMatched,
      },
    });
    const losses = detectionLosses(output(trained));
    for (const [name, expected] of Object.entries(f.losses)) {
      expect(value(losses[name as keyof DetectionLosses]), name).toBeCloseTo(expected, 5);
    }
    const grads = tf.grads((...parts: tf.Tensor[]) => tf.addN(Object.values(detectionLosses(output(parts)))))(
      trained,
    );
    const expected = [f.grads.objectness, f.grads.rpnDeltas, f.grads.classLogits, f.grads.boxDeltas];
    grads.forEach((grad, k) => expect(maxAbsDiff(grad.dataSync(), expected[k])).toBeLessThan(1e-6));
    tf.dispose([trained, Object.values(fixed), Object.values(losses), grads]);
  });
});
