import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend';
import { Rng } from '../rng';
import { channelAffine, channelMeans, channelSums } from './channelwise';

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
}

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

describe('channelwise', () => {
  it('channelSums and channelMeans reduce every axis but the last', () => {
    const x = new Rng(1).normalTensor([2, 3, 4, 5]);
    expect(channelSums(x).shape).toEqual([5]);
    expect(maxDiff(channelSums(x), tf.sum(x, [0, 1, 2]))).toBeLessThan(1e-5);
    expect(maxDiff(channelMeans(tf.reshape(x, [24, 5])), tf.mean(x, [0, 1, 2]))).toBeLessThan(1e-6);
  });

  it('channelAffine matches x·scale + shift and its autodiff gradients, for rank 4 and rank 2', () => {
    const rng = new Rng(2);
    for (const shape of [
      [2, 3, 4, 5],
      [6, 5],
    ]) {
      const x = rng.normalTensor(shape);
      const w = rng.normalTensor(shape);
      const scale = rng.normalTensor([5]) as tf.Tensor1D;
      const shift = rng.normalTensor([5]) as tf.Tensor1D;
      const plain = (a: tf.Tensor, s: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.add(tf.mul(a, s), b), w));
      const ours = (a: tf.Tensor, s: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(channelAffine(a, s as tf.Tensor1D, b as tf.Tensor1D), w));
      expect(maxDiff(channelAffine(x, scale, shift), tf.add(tf.mul(x, scale), shift))).toBeLessThan(1e-5);
      const expected = tf.grads(plain)([x, scale, shift]);
      const actual = tf.grads(ours)([x, scale, shift]);
      expected.forEach((g, i) =>
        expect(maxDiff(actual[i], g), `gradient ${i} for ${JSON.stringify(shape)}`).toBeLessThan(1e-4),
      );
    }
  });
});
