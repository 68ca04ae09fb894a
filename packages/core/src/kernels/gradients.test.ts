/**
 * perturb's gradients of `FusedBatchNorm` (tf.batchNorm), `Mean` and `Sum` against independent
 * references on random shapes: batch norm written with broadcasting elementwise ops (whose
 * gradients tfjs-core defines and perturb leaves alone), and reductions against their gradient
 * computed on the host. Relative tolerance 1e-4 (float32 sums of up to ~10⁴ terms), on wasm
 * and on cpu.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend';
import { Rng } from '../rng';
import { relativeError } from './relative-error';

const BACKENDS = ['wasm', 'cpu'];

/** max |actual − expected| / max |expected|. */
function randomValues(rng: Rng, shape: number[], offset = 0): Float32Array {
  return Float32Array.from({ length: tf.util.sizeFromShape(shape) }, () => offset + rng.normal());
}

/** The gradients of `f` at `values` on `backend`, as arrays; checks that nothing leaks. */
async function gradsOn(
  backend: string,
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: Array<{ shape: number[]; values: Float32Array }>,
): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const grads = tf.tidy(() => {
    const xs = inputs.map((input) => tf.tensor(input.values, input.shape));
    return tf
      .grads(f)(xs)
      .map((g) => g.dataSync() as Float32Array);
  });
  expect(tf.memory().numTensors).toBe(before);
  return grads;
}

/** Batch norm as broadcasting elementwise ops: the same function, tfjs's own gradients. */
function elementwiseBatchNorm(
  x: tf.Tensor,
  mean: tf.Tensor,
  variance: tf.Tensor,
  offset: tf.Tensor,
  scale: tf.Tensor,
  epsilon: number,
) {
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon))), scale), offset);
}

/** The same function through `tf.batchNorm` (the `FusedBatchNorm` kernel and perturb's gradient). */
const fusedBatchNorm: typeof elementwiseBatchNorm = (x, mean, variance, offset, scale, epsilon) =>
  tf.batchNorm(
    x as tf.Tensor4D,
    mean as tf.Tensor1D,
    variance as tf.Tensor1D,
    offset as tf.Tensor1D,
    scale as tf.Tensor1D,
    epsilon,
  );

type Inputs = Array<{ shape: number[]; values: Float32Array }>;

/**
 * Checks the gradients of `loss(fusedBatchNorm)` on every backend against those of
 * `loss(elementwiseBatchNorm)` on cpu.
 */
async function expectSameGradients(
  loss: (norm: typeof elementwiseBatchNorm) => (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: Inputs,
  label: string,
): Promise<void> {
  const expected = await gradsOn('cpu', loss(elementwiseBatchNorm), inputs);
  for (const backend of BACKENDS) {
    const actual = await gradsOn(backend, loss(fusedBatchNorm), inputs);
    actual.forEach((grad, k) =>
      expect(relativeError(grad, expected[k]), `${backend} input ${k} ${label}`).toBeLessThan(1e-4),
    );
  }
}

describe('gradients that replace tfjs-core’s', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1, env: {}, log: false });
  });

  it('FusedBatchNorm: every input’s gradient, per-channel and broadcast parameter shapes', async () => {
    const rng = new Rng(11).child('batch-norm');
    for (let i = 0; i < 8; i++) {
      const channels = 1 + rng.int(9);
      const x = [1 + rng.int(5), 1 + rng.int(7), 1 + rng.int(7), channels];
      // Parameters as [C] vectors, as [1, 1, 1, C] (tfjs-layers' broadcast form), or with a
      // scale broadcast over channels.
      const kind = i % 4;
      const param = kind === 1 ? [1, 1, 1, channels] : [channels];
      const scaleShape = kind === 3 ? [1] : param;
      const epsilon = 10 ** -(1 + rng.int(4));
      const inputs = [
        { shape: x, values: randomValues(rng, x, 2) },
        { shape: param, values: randomValues(rng, param) },
        { shape: param, values: randomValues(rng, param).map((v) => 0.5 + v * v) },
        { shape: param, values: randomValues(rng, param) },
        { shape: scaleShape, values: randomValues(rng, scaleShape) },
      ];
      const dy = tf.tidy(() => tf.tensor(randomValues(rng, x), x));
      const loss =
        (norm: typeof elementwiseBatchNorm) =>
        (...[a, m, v, o, s]: tf.Tensor[]) =>
          tf.sum(tf.mul(norm(a, m, v, o, s, epsilon), dy));
      await expectSameGradients(loss, inputs, JSON.stringify({ x, param, scaleShape }));
      dy.dispose();
    }
  });

  it('tf.moments + tf.batchNorm (how users write training-mode batch norm) through to x', async () => {
    const rng = new Rng(12).child('moments');
    for (let i = 0; i < 4; i++) {
      const x = [2 + rng.int(6), 1 + rng.int(6), 1 + rng.int(6), 1 + rng.int(8)];
      const param = [x[3]];
      const inputs = [
        { shape: x, values: randomValues(rng, x, 1) },
        { shape: param, values: randomValues(rng, param) },
        { shape: param, values: randomValues(rng, param) },
      ];
      const weights = tf.tidy(() => tf.tensor(randomValues(rng, x), x));
      const loss =
        (norm: typeof elementwiseBatchNorm) =>
        (...[a, o, s]: tf.Tensor[]) => {
          const { mean, variance } = tf.moments(a, [0, 1, 2], i % 2 === 0);
          // With keepDims the statistics are [1, 1, 1, C], and tf.batchNorm wants equal ranks.
          const [offset, scale] = [o, s].map((t) => tf.reshape(t, mean.shape));
          return tf.sum(tf.mul(norm(a, mean, variance, offset, scale, 1e-3), weights));
        };
      await expectSameGradients(loss, inputs, JSON.stringify(x));
      weights.dispose();
    }
  });

  it('Mean and Sum over random axes, with and without keepDims', async () => {
    const rng = new Rng(13).child('reductions');
    for (let i = 0; i < 12; i++) {
      const rank = 1 + rng.int(4);
      const shape = Array.from({ length: rank }, () => 1 + rng.int(6));
      const picked = shape.map((_, axis) => axis).filter(() => rng.bernoulli(0.5));
      const axes = picked.length > 0 ? picked : [rng.int(rank)];
      const keepDims = rng.bernoulli(0.5);
      const kernel = i % 2 === 0 ? 'Mean' : 'Sum';
      const outShape = shape.map((d, axis) => (axes.includes(axis) ? 1 : d));
      const w = randomValues(rng, outShape);
      const count = axes.reduce((n, axis) => n * shape[axis], 1);
      // d/dx Σ w·reduce(x) = w at x's kept coordinates (÷ count for Mean).
      const expected = new Float32Array(tf.util.sizeFromShape(shape));
      for (let flat = 0; flat < expected.length; flat++) {
        let rest = flat;
        let target = 0;
        let stride = 1;
        for (let axis = rank - 1; axis >= 0; axis--) {
          const coord = rest % shape[axis];
          rest = Math.floor(rest / shape[axis]);
          if (!axes.includes(axis)) target += coord * stride;
          stride *= outShape[axis];
        }
        expected[flat] = w[target] / (kernel === 'Mean' ? count : 1);
      }
      const loss = (x: tf.Tensor) => {
        const r = kernel === 'Mean' ? tf.mean(x, axes, keepDims) : tf.sum(x, axes, keepDims);
        return tf.sum(tf.mul(tf.reshape(r, outShape), tf.tensor(w, outShape)));
      };
      for (const backend of BACKENDS) {
        const [actual] = await gradsOn(backend, loss, [{ shape, values: randomValues(rng, shape) }]);
        expect(
          relativeError(actual, expected),
          `${backend} ${kernel} ${JSON.stringify({ shape, axes, keepDims })}`,
        ).toBeLessThan(1e-6);
      }
    }
  });
});
