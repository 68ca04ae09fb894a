import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Conv2d, Rng, initBackend } from '@perturb/core';
import { convSame, hiddenLayers } from './conv';
import type { ConvActivation } from './conv';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

/** convSame's value and gradients (x, W, b) next to tf's own conv2d + bias + ReLU, in both gradient modes. */
function compare(cin: number, cout: number, k: number, activation: ConvActivation) {
  const rng = new Rng(cin * 100 + cout * 10 + k);
  const conv = new Conv2d(rng, cin, cout, { kernelSize: k, init: 'uniform' });
  const x = rng.normalTensor([2, 5, 6, cin]) as tf.Tensor4D;
  const weights = rng.normalTensor([2, 5, 6, cout]);
  const loss = (f: (x: tf.Tensor4D) => tf.Tensor4D) => (input: tf.Tensor) =>
    tf.sum(tf.mul(f(input as tf.Tensor4D), weights));
  const reference = (input: tf.Tensor4D) => {
    const y = tf.add(tf.conv2d(input, conv.weight as tf.Tensor4D, 1, 'same'), conv.bias!) as tf.Tensor4D;
    return activation === 'relu' ? tf.relu(y) : y;
  };
  const ours = tf.variableGrads(
    () => loss((input) => convSame(input, conv, activation))(x) as tf.Scalar,
    conv.parameters(),
  );
  const theirs = tf.variableGrads(() => loss(reference)(x) as tf.Scalar, conv.parameters());
  const dxOurs = tf.grad(loss((input) => convSame(input, conv, activation)))(x);
  const dxTheirs = tf.grad(loss(reference))(x);
  const dxInputOnly = tf.grad(loss((input) => convSame(input, conv, activation, 'input')))(x);
  const [all, inputOnly] = [convSame(x, conv, activation), convSame(x, conv, activation, 'input')];
  const diff = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
  // The inverse pass's variant gives the very same values (exact inverses need that) and dx.
  expect(diff(all, inputOnly)).toBe(0);
  expect(diff(dxInputOnly, dxTheirs)).toBeLessThan(1e-4 * tf.max(tf.abs(dxTheirs)).dataSync()[0]);
  tf.dispose([dxInputOnly, all, inputOnly]);
  const scale = (a: tf.Tensor) => tf.max(tf.abs(a)).dataSync()[0];
  expect(diff(ours.value, theirs.value)).toBeLessThan(1e-3 * scale(theirs.value));
  expect(diff(dxOurs, dxTheirs)).toBeLessThan(1e-4 * scale(dxTheirs));
  for (const v of conv.parameters()) {
    expect(diff(ours.grads[v.name], theirs.grads[v.name])).toBeLessThan(1e-4 * scale(theirs.grads[v.name]));
  }
  tf.dispose([
    x,
    weights,
    ours.value,
    theirs.value,
    dxOurs,
    dxTheirs,
    ...Object.values(ours.grads),
    ...Object.values(theirs.grads),
  ]);
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
    const params = [...first.parameters(), ...second.parameters()];
    const reference = (input: tf.Tensor4D) => {
      const h1 = tf.relu(
        tf.add(tf.conv2d(input, first.weight as tf.Tensor4D, 1, 'same'), first.bias!),
      ) as tf.Tensor4D;
      return tf.relu(tf.add(tf.conv2d(h1, second.weight as tf.Tensor4D, 1, 'same'), second.bias!));
    };
    const loss = (f: (input: tf.Tensor4D) => tf.Tensor) => (input: tf.Tensor) =>
      tf.sum(tf.mul(f(input as tf.Tensor4D), weights)) as tf.Scalar;
    const ours = tf.variableGrads(() => loss((input) => hiddenLayers(input, first, second))(x), params);
    const theirs = tf.variableGrads(() => loss(reference)(x), params);
    const dxOurs = tf.grad(loss((input) => hiddenLayers(input, first, second)))(x);
    const dxTheirs = tf.grad(loss(reference))(x);
    const close = (a: tf.Tensor, b: tf.Tensor) =>
      tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] <= 1e-4 * tf.max(tf.abs(b)).dataSync()[0];
    expect(close(ours.value, theirs.value)).toBe(true);
    expect(close(dxOurs, dxTheirs)).toBe(true);
    for (const v of params) expect(close(ours.grads[v.name], theirs.grads[v.name])).toBe(true);
    tf.dispose([
      x,
      weights,
      ours.value,
      theirs.value,
      dxOurs,
      dxTheirs,
      ...Object.values(ours.grads),
      ...Object.values(theirs.grads),
    ]);
    first.dispose();
    second.dispose();
  });
});
