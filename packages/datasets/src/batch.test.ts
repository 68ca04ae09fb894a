import * as tf from '@tensorflow/tfjs-core';
import { initBackend, Rng } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchCount, batches, channelStats, toBatch } from './batch';
import type { Dataset } from './dataset';
import { padDataset } from './pad';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

/** 2×2 RGB images: image n has red = 10n, green = 255, blue = 0 (+ pixel index), label n % 3. */
function rgb(count: number): Dataset {
  const images = new Uint8Array(count * 12);
  for (let n = 0; n < count; n++) for (let p = 0; p < 4; p++) images.set([10 * n, 255, p], n * 12 + p * 3);
  return {
    name: 'rgb',
    images,
    labels: Uint8Array.from({ length: count }, (_, n) => n % 3),
    shape: { height: 2, width: 2, channels: 3 },
    numClasses: 3,
    classNames: ['a', 'b', 'c'],
  };
}

describe('toBatch', () => {
  it('scales pixels to [0, 1] NHWC and one-hot encodes labels', () => {
    const { x, y } = toBatch(rgb(5), [4, 1]);
    expect(x.shape).toEqual([2, 2, 2, 3]);
    expect(x.dtype).toBe('float32');
    const values = x.arraySync();
    expect(values[0][0][0][0]).toBeCloseTo(40 / 255, 6);
    expect(values[1][1][1]).toEqual([10 / 255, 1, 3 / 255].map(Math.fround));
    expect(y.arraySync()).toEqual([
      [0, 1, 0],
      [0, 1, 0],
    ]);
    tf.dispose([x, y]);
  });

  it('standardizes each channel with given statistics', () => {
    const data = rgb(4);
    const stats = channelStats(data);
    expect(stats.mean[1]).toBeCloseTo(1, 12);
    expect(stats.std[1]).toBeCloseTo(0, 12);
    expect(stats.mean[0]).toBeCloseTo(15 / 255, 12);
    expect(stats.std[0]).toBeCloseTo(Math.sqrt(125) / 255, 12);
    expect(() => toBatch(data, undefined, { normalize: stats })).toThrow(/positive standard deviations/);
    const usable = { mean: stats.mean, std: [stats.std[0], 1, 1] };
    const { x, y } = toBatch(data, undefined, { normalize: usable });
    const red = tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, 1]);
    expect(tf.tidy(() => tf.mean(red).arraySync() as number)).toBeCloseTo(0, 5);
    expect(tf.tidy(() => tf.sqrt(tf.mean(tf.square(red))).arraySync() as number)).toBeCloseTo(1, 5);
    tf.dispose([x, y, red]);
  });
});

describe('batches', () => {
  it('covers every example once per epoch, in a seeded order', () => {
    const data = rgb(10);
    const epoch = (seed: number) =>
      [...batches(data, { batchSize: 4, rng: new Rng(seed) })].map(({ x, y }) => {
        const reds = tf.tidy(
          () =>
            tf
              .round(tf.mul(tf.reshape(tf.slice(x, [0, 0, 0, 0], [-1, 1, 1, 1]), [-1]), 255 / 10))
              .arraySync() as number[],
        );
        tf.dispose([x, y]);
        return reds;
      });
    const a = epoch(1);
    expect(a.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(a.flat().sort((p, q) => p - q)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(epoch(1)).toEqual(a);
    expect(epoch(2)).not.toEqual(a);
  });

  it('drops the short last batch on request and keeps file order without shuffling', () => {
    const data = rgb(10);
    expect(batchCount(data, { batchSize: 4, dropLast: true })).toBe(2);
    const sizes = [...batches(data, { batchSize: 4, shuffle: false, dropLast: true })].map((b) => {
      const labels = tf.tidy(() => tf.argMax(b.y, 1).arraySync() as number[]);
      tf.dispose([b.x, b.y]);
      return labels;
    });
    expect(sizes).toEqual([
      [0, 1, 2, 0],
      [1, 2, 0, 1],
    ]);
  });

  it('requires an rng to shuffle and a positive batch size', () => {
    expect(() => [...batches(rgb(2), { batchSize: 2 })]).toThrow(/shuffled batches need an rng/);
    expect(() => [...batches(rgb(2), { batchSize: 0, shuffle: false })]).toThrow(/batch size 0/);
  });

  it('leaves no tensors behind once the caller disposes its batches', () => {
    const before = tf.memory().numTensors;
    for (const { x, y } of batches(rgb(9), { batchSize: 4, rng: new Rng(0) })) tf.dispose([x, y]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('padDataset', () => {
  it('centres images on a zero canvas', () => {
    const data: Dataset = { ...rgb(1), images: new Uint8Array(12).fill(7) };
    const padded = padDataset(data, 4);
    expect(padded.shape).toEqual({ height: 4, width: 4, channels: 3 });
    const grid = Array.from({ length: 4 }, (_, y) =>
      Array.from({ length: 4 }, (_, x) => padded.images[(y * 4 + x) * 3]),
    );
    expect(grid).toEqual([
      [0, 0, 0, 0],
      [0, 7, 7, 0],
      [0, 7, 7, 0],
      [0, 0, 0, 0],
    ]);
    expect(padded.unpadded).toEqual({ height: 2, width: 2 });
    expect(padDataset(padded, 6).unpadded).toEqual({ height: 2, width: 2 });
    expect(padDataset(data, 2)).toBe(data);
    expect(() => padDataset(data, 1)).toThrow(/cannot pad 2×2 images of rgb to 1×1/);
  });
});
