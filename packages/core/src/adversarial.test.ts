import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ascentDirection, crossEntropy, perturbationNorms, projectToBall } from './adversarial';
import { initBackend } from './backend';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

describe('attack geometry over several tensors', () => {
  const parts = () => [
    tf.tensor2d([
      [3, 0],
      [0, 0],
    ]),
    tf.tensor3d([[[4]], [[0]]]),
  ];

  it('normalizes L2 steps per sample jointly, leaving zero gradients at zero', () => {
    const [a, b] = ascentDirection(parts(), 'l2');
    expect(Array.from(a.dataSync())).toEqual(Array.from(new Float32Array([0.6, 0, 0, 0])));
    expect(Array.from(b.dataSync())).toEqual(Array.from(new Float32Array([0.8, 0])));
    expect(ascentDirection([tf.tensor1d([-2, 0, 3])], 'linf')[0].arraySync()).toEqual([-1, 0, 1]);
  });

  it('projects onto the joint L2 ball and the L∞ box', () => {
    const projected = projectToBall(parts(), 'l2', 1);
    expect(perturbationNorms(projected, 'l2').arraySync()[0]).toBeCloseTo(1, 6);
    const small = projectToBall([tf.tensor2d([[0.1, 0.1]])], 'l2', 1)[0];
    expect(Array.from(small.dataSync())).toEqual(Array.from(new Float32Array([0.1, 0.1])));
    expect(projectToBall([tf.tensor1d([-2, 0.5])], 'linf', 1)[0].arraySync()).toEqual([-1, 0.5]);
    expect(perturbationNorms(parts(), 'linf').arraySync()).toEqual([4, 0]);
  });

  it('computes cross-entropy against soft labels', () => {
    const logits = tf.tensor2d([[0, 0]]);
    expect(crossEntropy(logits, tf.tensor2d([[0.5, 0.5]])).dataSync()[0]).toBeCloseTo(Math.LN2, 6);
  });
});
