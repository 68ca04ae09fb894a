import * as tf from '@tensorflow/tfjs-core';
import { type Model, PerturbError, assertNoTensorLeak, initBackend } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { detect, postprocessDetections } from './postprocess';
import type { DetectorOutput } from './detector-output';
import { type OutputParts, detectorOutput, fixture, maxAbsDiff } from './test-support';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

/** Class logits giving probabilities (background, class 0) = (0.1, 0.9). */
const NINE_TENTHS = [0, Math.log(9)];

function run(parts: OutputParts, options = {}) {
  const output = detectorOutput(parts);
  const detections = postprocessDetections(output, options);
  tf.dispose(output);
  return detections;
}

describe('postprocessDetections', () => {
  it('decodes a known class-specific delta with weights (10, 10, 5, 5)', () => {
    // RoI [10, 10, 30, 30] (20 px, centre 20); class 0's deltas move the centre by 0.1·20 = 2 px
    // (dx = 10·0.1) and double the width (dw = 5·ln 2); the background column's deltas are unused.
    const [image] = run({
      rois: [[[10, 10, 30, 30]]],
      classLogits: [[NINE_TENTHS]],
      boxDeltas: [[[9, 9, 9, 9, 1, 0, 5 * Math.log(2), 0]]],
    });
    expect(Array.from(image.boxes)).toEqual([2, 10, 42, 30].map((v) => expect.closeTo(v, 4)));
    expect(image.scores[0]).toBeCloseTo(0.9, 6);
    expect(Array.from(image.classes)).toEqual([0]);
  });

  it('clips to the image, drops padding RoIs and low scores, and keeps dataset class ids', () => {
    const [image] = run({
      imageSize: [32, 48],
      rois: [
        [
          [-5, 20, 60, 40],
          [0, 0, 8, 8],
          [0, 0, 8, 8],
        ],
      ],
      valid: [[1, 0, 1]],
      // RoI 0: class 1 at 0.75, class 0 at 0.07 (both kept); RoI 1 is padding however confident;
      // RoI 2 scores < 0.05 for both classes.
      classLogits: [
        [
          [0, -1, Math.log(4)],
          [0, 9, 9],
          [5, 0, 0],
        ],
      ],
    });
    expect(Array.from(image.classes)).toEqual([1, 0]);
    expect(Array.from(image.scores)).toEqual([
      expect.closeTo(4 / (5 + Math.exp(-1)), 6),
      expect.closeTo(Math.exp(-1) / (5 + Math.exp(-1)), 6),
    ]);
    for (let k = 0; k < image.classes.length; k++) {
      expect(Array.from(image.boxes.subarray(4 * k, 4 * k + 4))).toEqual([0, 20, 48, 32]);
    }
  });

  it('suppresses overlaps within a class only, and keeps at most detectionsPerImage', () => {
    const parts: OutputParts = {
      rois: [
        [
          [0, 0, 20, 20],
          [1, 0, 21, 20],
          [0, 0, 20, 20],
        ],
      ],
      // RoIs 0 and 1 overlap (IoU 0.9) as class 0; RoI 2 is class 1 on the same place.
      classLogits: [
        [
          [0, 4, -9],
          [0, 3, -9],
          [0, -9, 2],
        ],
      ],
    };
    const [image] = run(parts);
    expect(Array.from(image.classes)).toEqual([0, 1]);
    expect(Array.from(image.boxes.subarray(0, 4))).toEqual([0, 0, 20, 20]);
    const [capped] = run(parts, { detectionsPerImage: 1 });
    expect(Array.from(capped.classes)).toEqual([0]);
    const [loose] = run(parts, { nmsThreshold: 0.95 });
    expect(loose.classes.length).toBe(3);
  });

  it('gives each image its own detections', () => {
    const detections = run({
      rois: [[[0, 0, 10, 10]], [[5, 5, 15, 15]]],
      classLogits: [[NINE_TENTHS], [[9, 0]]],
    });
    expect(detections.map((d) => d.classes.length)).toEqual([1, 0]);
  });

  it('refuses an unknown option in one line', () => {
    expect(() =>
      run({ rois: [[[0, 0, 1, 1]]], classLogits: [[NINE_TENTHS]] }, { scoreTreshold: 0.1 }),
    ).toThrow(/did you mean "scoreThreshold"/);
  });
});

describe('detect', () => {
  const parts: OutputParts = { rois: [[[10, 10, 30, 30]]], classLogits: [[NINE_TENTHS]] };
  const model = {
    numClasses: 1,
    logits: () => detectorOutput(parts),
  } as unknown as Model;

  it('runs an inference forward pass and leaves no tensors behind', async () => {
    const x = tf.zeros([1, 64, 64, 1]) as tf.Tensor4D;
    const [image] = detect(model, x);
    expect(Array.from(image.boxes)).toEqual([10, 10, 30, 30]);
    await assertNoTensorLeak(() => detect(model, x));
    x.dispose();
  });

  it('refuses a classifier in one line', () => {
    const classifier = { numClasses: 1, logits: () => tf.zeros([1, 1]) } as unknown as Model;
    const x = tf.zeros([1, 8, 8, 1]) as tf.Tensor4D;
    expect(() => detect(classifier, x)).toThrow(PerturbError);
    expect(() => detect(classifier, x)).toThrow(
      /detect got a tensor of shape \[1,1\] where a detector's output belongs/,
    );
    x.dispose();
  });
});

interface InferenceFixture {
  numClasses: number;
  imageSize: [number, number];
  rois: number[];
  classLogits: number[];
  boxDeltas: number[];
  detections: { boxes: number[]; scores: number[]; classes: number[] }[];
}

describe('against torchvision', () => {
  it('gives RoIHeads.postprocess_detections’s boxes, scores and classes', () => {
    const f = fixture<{ inference: InferenceFixture }>('detection-task.json').inference;
    const n = f.detections.length;
    const r = f.rois.length / (4 * n);
    const columns = f.numClasses + 1;
    const output: DetectorOutput = {
      imageSize: f.imageSize,
      rpn: { anchors: tf.zeros([1, 4]), objectness: tf.zeros([n, 1]), deltas: tf.zeros([n, 1, 4]) },
      rois: {
        boxes: tf.tensor3d(f.rois, [n, r, 4]),
        valid: tf.ones([n, r]),
        classLogits: tf.tensor3d(f.classLogits, [n, r, columns]),
        boxDeltas: tf.tensor3d(f.boxDeltas, [n, r, 4 * columns]),
      },
    };
    const detections = postprocessDetections(output);
    detections.forEach((image, i) => {
      const expected = f.detections[i];
      expect(Array.from(image.classes)).toEqual(expected.classes);
      expect(maxAbsDiff(image.scores, expected.scores)).toBeLessThan(1e-6);
      expect(maxAbsDiff(image.boxes, expected.boxes)).toBeLessThan(1e-4);
    });
    tf.dispose(output);
  });
});
