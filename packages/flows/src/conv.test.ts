import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Conv2d, Rng, initBackend } from '@perturb/core';
import { convSame, hiddenLayers } from './conv';
import type { ConvActivation } from './conv';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

/** max |a − b|, and the largest magnitude of b: the relative error is their ratio. */
const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
const maxAbs = (a: tf.Tensor) => tf.max(tf.abs(a)).dataSync()[0];

/**
 * Expects `ours` to give the loss Σ f(x)·weights, its gradient in x and its gradient in every
 * parameter of `params` as `reference` does: the value within `valueTolerance`, the gradients
 * within 1e-4, relative to the reference's largest magnitude.
 */
function expectSameGradients(
  ours: (x: tf.Tensor4D) => tf.Tensor,
  reference: (x: tf.Tensor4D) => tf.Tensor,
  x: tf.Tensor4D,
  weights: tf.Tensor,
  params: tf.Variable[],
  valueTolerance: number,
): void {
  const loss = (f: (x: tf.Tensor4D) => tf.Tensor) => (input: tf.Tensor) =>
    tf.sum(tf.mul(f(input as tf.Tensor4D), weights)) as tf.Scalar;
  const a = tf.variableGrads(() => loss(ours)(x), params);
  const b = tf.variableGrads(() => loss(reference)(x), params);
  const dxA = tf.grad(loss(ours))(x);
  const dxB = tf.grad(loss(reference))(x);
  expect(maxDiff(a.value, b.value)).toBeLessThan(valueTolerance * maxAbs(b.value));
  expect(maxDiff(dxA, dxB)).toBeLessThan(1e-4 * maxAbs(dxB));
  for (const v of params) {
    expect(maxDiff(a.grads[v.name], b.grads[v.name])).toBeLessThan(1e-4 * maxAbs(b.grads[v.name]));
  }
  tf.dispose([a.value, b.value, dxA, dxB, ...Object.values(a.grads), ...Object.values(b.grads)]);
}

/** convSame's value and gradients (x, W, b) next to tf's own conv2d + bias + ReLU, in both gradient modes. */
function compare(cin: number, cout: number, k: number, activation: ConvActivation) {
  const rng = new Rng(cin * 100 + cout * 10 + k);
  const conv = new Conv2d(rng, cin, cout, { kernelSize: k, init: 'uniform' });
  const x = rng.normalTensor([2, 5, 6, cin]) as tf.Tensor4D;
  const weights = rng.normalTensor([2, 5, 6, cout]);
  const reference = (input: tf.Tensor4D) => {
    const y = tf.add(tf.conv2d(input, conv.weight as tf.Tensor4D, 1, 'same'), conv.bias!) as tf.Tensor4D;
    return activation === 'relu' ? tf.relu(y) : y;
  };
  // The inverse pass's variant gives the very same values (exact inverses need that) and dx.
  const [all, inputOnly] = [convSame(x, conv, activation), convSame(x, conv, activation, 'input')];
  expect(maxDiff(all, inputOnly)).toBe(0);
  const loss = (f: (x: tf.Tensor4D) => tf.Tensor4D) => (input: tf.Tensor) =>
    tf.sum(tf.mul(f(input as tf.Tensor4D), weights));
  const dxInputOnly = tf.grad(loss((input) => convSame(input, conv, activation, 'input')))(x);
  const dxReference = tf.grad(loss(reference))(x);
  expect(maxDiff(dxInputOnly, dxReference)).toBeLessThan(1e-4 * maxAbs(dxReference));
  tf.dispose([dxInputOnly, dxReference, all, inputOnly]);
  expectSameGradients(
    (input) => convSame(input, conv, activation),
    reference,
    x,
    weights,
    conv.parameters(),
    1e-3,
  );
  tf.dispose([x, weights]);
  conv.dispose();
}

describe('convSame matches conv2d + bias (+ ReLU) and its gradients', () => {
  it('3×3, few input channels (patches of the input)', () => compare(2, 8, 3, 'relu'));
  it('3×3, few output channels (flipped patches of the output gradient)', () => compare(8, 3, 3, 'linear'));
  it('1×1 (backend filter gradient)', () => compare(6, 5, 1, 'relu'));
  it('3×3, many channels on both sides (backend filter gradient)', () => compare(20, 20, 3, 'linear'));
});

describe('hiddenLayers matches conv → ReLU → 1×1 conv → ReLU and its gradients', () => {
  it.each([
    { name: 'the fused op (few input channels)', cin: 3 },
    { name: 'the fallback (many input channels)', cin: 20 },
  ])('$name', ({ cin }) => {
    const rng = new Rng(cin);
    const first = new Conv2d(rng, cin, 7, { kernelSize: 3, init: 'uniform' });
    const second = new Conv2d(rng, 7, 6, { kernelSize: 1, init: 'uniform' });
    const x = rng.normalTensor([2, 5, 6, cin]) as tf.Tensor4D;
    const weights = rng.normalTensor([2, 5, 6, 6]);
    const reference = (input: tf.Tensor4D) => {
      const h1 = tf.relu(
        tf.add(tf.conv2d(input, first.weight as tf.Tensor4D, 1, 'same'), first.bias!),
      ) as tf.Tensor4D;
      return tf.relu(tf.add(tf.conv2d(h1, second.weight as tf.Tensor4D, 1, 'same'), second.bias!));
    };
    const params = [...first.parameters(), ...second.parameters()];
    expectSameGradients((input) => hiddenLayers(input, first, second), reference, x, weights, params, 1e-4);
    tf.dispose([x, weights]);
    first.dispose();
    second.dispose();
  });
});
