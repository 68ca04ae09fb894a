import * as tf from '@tensorflow/tfjs-core';
import { assertNoTensorLeak, initBackend } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { batches, toBatch } from './batch';
import { type Dataset, selectExamples } from './dataset';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

/**
 * Three 8×8 images: image 0 holds two objects, image 1 none, image 2 one object and one crowd
 * region (evaluation only); the first two also have label maps.
 */
function detection(withLabelMaps = false): Dataset {
  return {
    name: 'boxes',
    images: new Uint8Array(3 * 64),
    labels: Uint8Array.from([1, 0, 2]),
    shape: { height: 8, width: 8, channels: 1 },
    numClasses: 3,
    classNames: ['a', 'b', 'c'],
    ...(withLabelMaps ? { labelMaps: { classes: new Uint8Array(3 * 64), ignoreIndex: 255 } } : {}),
    boxes: {
      classNames: ['a', 'b', 'c'],
      offsets: Int32Array.from([0, 2, 2, 4]),
      boxes: Float32Array.from([1, 2, 5, 6, 0, 0, 8, 3, 2, 2, 4, 4, 0, 0, 8, 8]),
      classes: Int32Array.from([1, 0, 2, 1]),
      evaluationOnly: Uint8Array.from([0, 0, 0, 1]),
    },
  };
}

describe('batches of object boxes', () => {
  it('pads every image to the largest count with zeros and class -1, leaving crowd regions out', () => {
    const batch = toBatch(detection(), [2, 1, 0]);
    expect(batch.labelMap).toBeUndefined();
    expect(batch.boxes!.boxes.shape).toEqual([3, 2, 4]);
    expect(batch.boxes!.boxes.arraySync()).toEqual([
      [
        [2, 2, 4, 4],
        [0, 0, 0, 0],
      ],
      [
        [0, 0, 0, 0],
        [0, 0, 0, 0],
      ],
      [
        [1, 2, 5, 6],
        [0, 0, 8, 3],
      ],
    ]);
    expect(batch.boxes!.classes.dtype).toBe('int32');
    expect(batch.boxes!.classes.arraySync()).toEqual([
      [2, -1],
      [-1, -1],
      [1, 0],
    ]);
    tf.dispose([batch.x, batch.y, batch.boxes!.boxes, batch.boxes!.classes]);
  });

  it('gives a batch without objects one padding row rather than an empty axis', () => {
    const batch = toBatch(detection(), [1]);
    expect(batch.boxes!.boxes.shape).toEqual([1, 1, 4]);
    expect(batch.boxes!.classes.arraySync()).toEqual([[-1]]);
    tf.dispose([batch.x, batch.y, batch.boxes!.boxes, batch.boxes!.classes]);
  });

  it('carries label maps by default and boxes when asked, never both', () => {
    const data = detection(true);
    const dense = toBatch(data, [0]);
    expect(dense.labelMap).toBeDefined();
    expect(dense.boxes).toBeUndefined();
    const boxed = toBatch(data, [0], { target: 'boxes' });
    expect(boxed.labelMap).toBeUndefined();
    expect(boxed.boxes!.classes.arraySync()).toEqual([[1, 0]]);
    const plain = toBatch(data, [0], { target: 'none' });
    expect(Object.keys(plain)).toEqual(['x', 'y']);
    tf.dispose([dense.x, dense.y, dense.labelMap!.classes, boxed.x, boxed.y, boxed.boxes!.boxes]);
    tf.dispose([boxed.boxes!.classes, plain.x, plain.y]);
  });

  it('refuses a target the dataset lacks in one line', () => {
    expect(() => toBatch(detection(), [0], { target: 'labelMap' })).toThrow(
      /batches of label maps were asked of boxes, which has none/,
    );
    const { boxes: _, ...plain } = detection();
    expect(() => toBatch(plain, [0], { target: 'boxes' })).toThrow(/object boxes .* which has none/);
  });

  it('keeps each image its own objects when examples are selected', () => {
    const picked = selectExamples(detection(), [2, 0]);
    expect(Array.from(picked.boxes!.offsets)).toEqual([0, 2, 4]);
    expect(Array.from(picked.boxes!.classes)).toEqual([2, 1, 1, 0]);
    expect(Array.from(picked.boxes!.evaluationOnly!)).toEqual([0, 1, 0, 0]);
    expect(Array.from(picked.boxes!.boxes.subarray(8, 12))).toEqual([1, 2, 5, 6]);
  });

  it('leaks no tensor over an epoch of box batches', async () => {
    await assertNoTensorLeak(() => {
      for (const batch of batches(detection(), { batchSize: 2, shuffle: false, target: 'boxes' })) {
        tf.dispose([batch.x, batch.y, batch.boxes!.boxes, batch.boxes!.classes]);
      }
    });
  });
});
