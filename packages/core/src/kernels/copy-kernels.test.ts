import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend';
import { Rng } from '../rng';

/** Runs `op` on wasm and on cpu with the same inputs; returns both results' values. */
async function onBothBackends(shapes: number[][], op: (xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]) {
  const rng = new Rng(7);
  const values = shapes.map((shape) =>
    Array.from({ length: tf.util.sizeFromShape(shape) }, () => rng.normal()),
  );
  const results: Array<Array<{ shape: number[]; values: number[] }>> = [];
  for (const backend of ['wasm', 'cpu']) {
    await tf.setBackend(backend);
    const before = tf.memory().numTensors;
    const dataIds = tf.engine().backend.numDataIds();
    const xs = shapes.map((shape, i) => tf.tensor(values[i], shape));
    const out = tf.tidy(() => op(xs));
    const outs = Array.isArray(out) ? out : [out];
    results.push(outs.map((t) => ({ shape: t.shape, values: Array.from(t.dataSync()) })));
    tf.dispose([...xs, ...outs]);
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.engine().backend.numDataIds()).toBe(dataIds);
  }
  await tf.setBackend('wasm');
  return { wasm: results[0], cpu: results[1] };
}

describe('copying Concat, SplitV, Slice, Tile, Reverse, GatherV2 and Cast on wasm', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1, env: {}, log: false });
  });

  it('split, join, slice and tile exactly as the cpu backend does', async () => {
    const cases: Array<[number[][], (xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]]> = [
      [[[2, 3, 3, 4]], ([x]) => tf.split(x, 2, 3)],
      [[[2, 3, 3, 5]], ([x]) => tf.split(x, [1, 3, 1], -1)],
      [
        [
          [2, 3, 3, 2],
          [2, 3, 3, 3],
        ],
        (xs) => tf.concat(xs, 3),
      ],
      [
        [
          [4, 6],
          [4, 1],
          [4, 2],
        ],
        (xs) => tf.concat(xs, -1),
      ],
      [[[2, 3, 3, 6]], ([x]) => tf.slice(x, [0, 0, 0, 2], [-1, -1, -1, 3])],
      [[[50]], ([x]) => tf.slice(x, [7], [20])],
      [[[5, 3, 2]], ([x]) => tf.slice(x, [1, 0, 0], [3, -1, -1])],
      [[[5, 3, 2]], ([x]) => tf.slice(x, [2, 1, 0], [1, 2, -1])],
      [[[4, 5, 6]], ([x]) => tf.slice(x, [1, 0, 2], [2, -1, 3])],
      [[[2, 3, 6, 6]], ([x]) => tf.slice(x, [0, 0, 1, 2], [-1, -1, 4, 4])],
      [[[3, 4, 5]], ([x]) => tf.slice(x, [0, 0, 0], [-1, -1, -1])],
      [[[5]], ([x]) => tf.broadcastTo(x, [3, 4, 2, 5])],
      [[[1, 1, 1, 7]], ([x]) => tf.broadcastTo(x, [5, 3, 3, 7])],
      [[[2, 3]], ([x]) => tf.tile(x, [3, 1])],
      [[[1, 3, 2]], ([x]) => tf.tile(x, [4, 5, 1])],
      [[[2, 3]], ([x]) => tf.cast(x, 'float32')],
      [[[2, 3, 3, 4]], ([x]) => tf.split(x, 3, 1)],
      [[[6, 4, 2]], ([x]) => tf.split(x, [1, 3, 2], 0)],
      [[[2, 7, 4]], ([x]) => tf.split(x, [2, 5], -2)],
      [[[2, 3]], ([x]) => tf.tile(x, [2, 2])],
      [[[1, 3, 2]], ([x]) => tf.tile(x, [2, 1, 3])],
      [[[3, 2]], ([x]) => tf.tile(x, [1, 4])],
      [[[6, 5, 1, 70]], ([x]) => tf.tile(x, [1, 1, 2, 1])], // upsampling's column repeat (runs ≥ 64)
      [[[6, 1, 10]], ([x]) => tf.tile(x, [1, 2, 1])], // and its row repeat
      [[[2, 3, 2]], ([x]) => tf.tile(x, [3, 2, 2])],
    ];
    for (const [shapes, op] of cases) {
      const { wasm, cpu } = await onBothBackends(shapes, op);
      expect(wasm).toEqual(cpu);
    }
  });

  it('reverses any set of axes exactly as the cpu backend does, float32 and int32', async () => {
    const cases: Array<[number[][], (xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]]> = [
      [[[3, 3, 5, 4]], ([x]) => tf.reverse(x, [0, 1])], // a filter's spatial flip: 9 runs of 20
      [[[3, 3, 16, 8]], ([x]) => tf.reverse(x, [0, 1])], // runs long enough for `set`
      [[[2, 3, 4]], ([x]) => tf.reverse(x, [2])],
      [[[2, 3, 4]], ([x]) => tf.reverse(x, [0, 2])],
      [[[2, 3, 4]], ([x]) => tf.reverse(x, -2)],
      [[[2, 3, 4]], ([x]) => tf.reverse(x, [])],
      [[[7]], ([x]) => tf.reverse(x)],
      [[[4, 1, 3]], ([x]) => tf.reverse(x, [0, 1, 2])],
      [[[3, 5]], ([x]) => tf.reverse(tf.cast(tf.mul(x, 100), 'int32'), [0])],
      [[[3, 5]], ([x]) => tf.reverse(tf.cast(tf.mul(x, 100), 'int32'), [1])],
    ];
    for (const [shapes, op] of cases) {
      const { wasm, cpu } = await onBothBackends(shapes, op);
      expect(wasm).toEqual(cpu);
    }
  });

  it('gathers slices exactly as the cpu backend does, on any axis and with batch dims', async () => {
    const idx = (values: number[], shape: number[]) => tf.tensor(values, shape, 'int32');
    const cases: Array<[number[][], (xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]]> = [
      [[[5, 7, 7, 3]], ([x]) => tf.gather(x, idx([4, 0, 2, 2, 1], [5]))], // RoI features permuted
      [[[6, 40]], ([x]) => tf.gather(x, idx([5, 1, 3], [3]))], // rows long enough for `set`
      [[[3, 4, 2]], ([x]) => tf.gather(x, idx([3, 0, 0], [3]), 1)],
      [[[3, 4]], ([x]) => tf.gather(x, idx([1, 3, 2, 0, 1, 1], [2, 3]), -1)],
      [[[2, 5, 3]], ([x]) => tf.gather(x, idx([4, 0, 1, 1], [2, 2]), 1, 1)],
      [[[4]], ([x]) => tf.gather(x, idx([], [0]))],
    ];
    for (const [shapes, op] of cases) {
      const { wasm, cpu } = await onBothBackends(shapes, op);
      expect(wasm).toEqual(cpu);
    }
    const x = tf.ones([3, 2]);
    const outside = tf.tensor1d([0, 3], 'int32');
    expect(() => tf.gather(x, outside)).toThrow(/index value 3 is not in \[0, 2\]/);
    tf.dispose([x, outside]);
  });

  it("leaves other axes and dtypes to the backend's own kernels", async () => {
    const cases: Array<[number[][], (xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]]> = [
      [
        [
          [2, 3],
          [1, 3],
        ],
        (xs) => tf.concat(xs, 0),
      ],
      [[[4, 5]], ([x]) => tf.split(tf.cast(x, 'int32'), 5, 1)],
      [[[4, 5]], ([x]) => tf.slice(tf.cast(x, 'int32'), [1, 1], [2, 3])],
      [[[2, 3]], ([x]) => tf.tile(tf.cast(x, 'int32'), [3, 1])],
      [[[4, 2]], ([x]) => tf.gather(tf.cast(x, 'int32'), tf.tensor1d([3, 1], 'int32'))],
      [[[2, 3]], ([x]) => tf.cast(tf.cast(tf.greater(x, 0), 'int32'), 'float32')],
      [[[1]], ([x]) => tf.reverse(tf.reshape(x, []))],
    ];
    for (const [shapes, op] of cases) {
      const { wasm, cpu } = await onBothBackends(shapes, op);
      expect(wasm).toEqual(cpu);
    }
  });

  it('casts to the same dtype without copying', () => {
    const x = tf.tensor([1.5, -2], [2]);
    const y = tf.cast(x, 'float32');
    expect(y.dataId).toBe(x.dataId);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1.5, -2]);
    y.dispose();
  });

  it('gives the gradients of split and concat (each other) exactly', async () => {
    const { wasm, cpu } = await onBothBackends([[2, 4, 4, 6]], ([x]) =>
      tf.grad((input: tf.Tensor) => {
        const [a, b] = tf.split(input, [2, 4], 3);
        return tf.sum(tf.mul(tf.concat([tf.mul(b, 3), a], 3), tf.reshape(tf.range(0, 6), [1, 1, 1, 6])));
      })(x),
    );
    expect(wasm).toEqual(cpu);
  });
});
