/** The one scoring of a model on its test set: what its task's evaluation is told. */
import * as tf from '@tensorflow/tfjs-core';
import { type EvaluationContext, type Model, initBackend } from '@perturb/core';
import type { Dataset } from '@perturb/datasets';
import { beforeAll, describe, expect, it } from 'vitest';
import { scoreDenseModel, testEvaluation } from './test-scores';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

/** Three 16×16 images with a box each; the third one's is a crowd region (evaluation only). */
const DATA: Dataset = {
  name: 'three-boxes',
  images: new Uint8Array(3 * 256).fill(90),
  labels: Uint8Array.from([0, 1, 0]),
  shape: { height: 16, width: 16, channels: 1 },
  numClasses: 2,
  classNames: ['a', 'b'],
  boxes: {
    classNames: ['a', 'b'],
    offsets: Int32Array.from([0, 1, 2, 3]),
    boxes: Float32Array.from([2, 3, 10, 12, 0, 0, 16, 5, 4, 4, 8, 8]),
    classes: Int32Array.from([0, 1, 0]),
    evaluationOnly: Uint8Array.from([0, 0, 1]),
  },
};

/** A stand-in detector whose task's evaluation reports the images of the set it was told of. */
function recordingDetector(): Model {
  return {
    task: {
      kind: 'detection',
      loss: () => tf.scalar(1),
      countCorrect: () => ({ correct: 0, count: 1 }),
      evaluation: (context?: EvaluationContext) => ({
        add: () => {},
        result: () => ({ toldImages: (context?.examples as Dataset | undefined)?.labels.length ?? -1 }),
      }),
    },
    logits: (x: tf.Tensor4D) => tf.zeros([x.shape[0], 1]),
  } as unknown as Model;
}

describe('test scores', () => {
  it("tell the task's evaluation the whole test set, in train's options and in eval's scoring", () => {
    const model = recordingDetector();
    const { test, testContext } = testEvaluation(model, DATA, 2);
    expect(testContext.examples).toBe(DATA);
    const batches = [...test()];
    expect(batches.map((b) => b.x.shape[0])).toEqual([2, 1]);
    expect(batches.every((b) => b.boxes !== undefined)).toBe(true);
    batches.forEach((b) => tf.dispose([b.x, b.y, b.boxes!.boxes, b.boxes!.classes]));
    const scored = scoreDenseModel(model, DATA, { batchSize: 2 });
    expect(scored.count).toBe(3);
    expect(scored.scores).toEqual({ toldImages: 3 });
  });
});
