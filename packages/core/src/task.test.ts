import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { crossEntropy } from './adversarial';
import { initBackend } from './backend';
import { assertNoTensorLeak } from './leaks';
import { compose } from './compose';
import type { Augmenter, Batch } from './plugin';
import {
  asClassifier,
  batchTensors,
  classificationTask,
  concatBatches,
  mapBatch,
  requireBoxes,
  taskOf,
} from './task';
import { Rng } from './rng';
import { TinyClassifier } from './testing/tiny-classifier';

/** Two samples with a 1×2 label map each. */
function denseBatch(): Batch {
  return {
    x: tf.tensor4d([0, 1, 2, 3], [2, 1, 2, 1]),
    y: tf.tensor2d([
      [1, 0],
      [0, 1],
    ]),
    labelMap: { classes: tf.tensor3d([0, 1, 1, 255], [2, 1, 2], 'int32'), ignoreIndex: 255 },
  };
}

/** Two samples with one object box each (the first of class 0, the second of class 2). */
function boxBatch(): Batch {
  return {
    x: tf.zeros([2, 8, 8, 1]) as tf.Tensor4D,
    y: tf.tensor2d([
      [1, 0],
      [0, 1],
    ]),
    boxes: {
      boxes: tf.tensor3d([0, 0, 4, 4, 1, 2, 5, 6], [2, 1, 4]),
      classes: tf.tensor2d([0, 2], [2, 1], 'int32'),
    },
  };
}

/** One sample with two object boxes. */
function wideBoxBatch(): Batch {
  return {
    x: tf.zeros([1, 8, 8, 1]) as tf.Tensor4D,
    y: tf.tensor2d([[1, 0]]),
    boxes: {
      boxes: tf.tensor3d([0, 0, 3, 3, 4, 4, 8, 8], [1, 2, 4]),
      classes: tf.tensor2d([0, 1], [1, 2], 'int32'),
    },
  };
}

const keeping = (name: string): Augmenter => ({ name, targets: ['labelMap'], transform: (b) => b });
const moving = (name: string): Augmenter => ({ name, transform: (b) => b });

describe('the task seam', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu', log: false });
  });

  it('classifies by default, with the cross-entropy and argmax counts of before', () => {
    const model = new TinyClassifier({ inChannels: 1, width: 2, seed: 0 });
    expect(taskOf(model)).toBe(classificationTask);
    const logits = tf.tensor2d([
      [2, 1],
      [0, 3],
      [1, 0],
    ]);
    const batch = {
      x: tf.zeros([3, 1, 1, 1]) as tf.Tensor4D,
      y: tf.tensor2d([
        [1, 0],
        [1, 0],
        [0, 1],
      ]),
    };
    expect(classificationTask.loss(logits, batch).dataSync()[0]).toBe(
      crossEntropy(logits, batch.y).dataSync()[0],
    );
    expect(classificationTask.countCorrect(logits, batch)).toEqual({ correct: 1, count: 3 });
    expect(Array.from(classificationTask.predictedTargets(logits, batch).y.dataSync())).toEqual([
      1, 0, 0, 1, 1, 0,
    ]);
    expect(asClassifier(model, 'augMix')).toBe(model);
  });

  it('refuses a dense model where class logits are needed, in one line naming the method', () => {
    const dense = {
      ...new TinyClassifier({ inChannels: 1, width: 2, seed: 0 }),
      task: { ...classificationTask, kind: 'segmentation' },
    };
    expect(() => asClassifier(dense as never, 'augMix')).toThrow(
      /^augMix works on classifiers, but the model is a segmentation model/,
    );
  });

  it('moves label maps with the samples they belong to', () => {
    const batch = denseBatch();
    const second = mapBatch(batch, (t) => tf.slice(t, [1], [1]));
    expect(Array.from(second.labelMap!.classes.dataSync())).toEqual([1, 255]);
    const joined = concatBatches([second, batch]);
    expect(Array.from(joined.labelMap!.classes.dataSync())).toEqual([1, 255, 0, 1, 1, 255]);
    expect(joined.labelMap!.ignoreIndex).toBe(255);
  });

  it('moves boxes with their samples and pads joined batches to the largest box count', async () => {
    const batch = boxBatch();
    const second = mapBatch(batch, (t) => tf.slice(t, [1], [1]));
    expect(second.boxes!.boxes.arraySync()).toEqual([[[1, 2, 5, 6]]]);
    const joined = concatBatches([second, wideBoxBatch()]);
    expect(joined.boxes!.boxes.arraySync()).toEqual([
      [
        [1, 2, 5, 6],
        [0, 0, 0, 0],
      ],
      [
        [0, 0, 3, 3],
        [4, 4, 8, 8],
      ],
    ]);
    expect(joined.boxes!.classes.arraySync()).toEqual([
      [2, -1],
      [0, 1],
    ]);
    expect(joined.boxes!.classes.dtype).toBe('int32');
    expect(batchTensors(joined)).toHaveLength(4);
    expect(() => concatBatches([batch, { x: batch.x, y: batch.y }])).toThrow(
      /^concatBatches needs batches with object boxes, but this batch has none/,
    );
    expect(requireBoxes(batch, 'fasterrcnn')).toBe(batch.boxes);
    const wide = wideBoxBatch();
    await assertNoTensorLeak(() => {
      tf.dispose(batchTensors(concatBatches([second, wide])));
    });
  });

  it('refuses a box batch in one line naming the augmenter that does not keep boxes', () => {
    const ctx = {
      model: new TinyClassifier({ inChannels: 1, width: 2, seed: 0 }),
      rng: new Rng(0),
      step: 0,
      epoch: 1,
    };
    const keepsBoxes: Augmenter = { name: 'flip', targets: ['labelMap', 'boxes'], transform: (b) => b };
    expect(compose([keepsBoxes]).transform!(boxBatch(), ctx).x).toBeDefined();
    expect(() => compose([keepsBoxes, keeping('cutmix')]).transform!(boxBatch(), ctx)).toThrow(
      /^cutmix cannot augment batches with object boxes: .*\. remove cutmix/,
    );
  });

  it('refuses a dense batch before any stage when an augmenter does not keep its label maps', () => {
    const batch = denseBatch();
    const ctx = {
      model: new TinyClassifier({ inChannels: 1, width: 2, seed: 0 }),
      rng: new Rng(0),
      step: 0,
      epoch: 1,
    };
    expect(compose([keeping('a'), keeping('b')]).transform!(batch, ctx)).toBe(batch);
    expect(() => compose([keeping('a'), moving('warp')]).transform!(batch, ctx)).toThrow(
      /^warp cannot augment batches with label maps/,
    );
    // A batch of class labels only is never refused.
    expect(compose([moving('warp')]).transform!({ x: batch.x, y: batch.y }, ctx).x).toBe(batch.x);
  });
});
