import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { PerturbError, Rng, initBackend } from '@perturb/core';
import { loadCheckpoint, saveCheckpoint } from '@perturb/core/node';
import { Glow } from './glow';
import type { GlowOptions } from './glow';
import { TINY_GLOW as tiny, perturbParameters, temporaryFolders } from './test-helpers';

const FASHION_MNIST_TEST = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz';
const tempDir = temporaryFolders('flows-');

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

/** Smooth images with structure (not white noise), values on the 8-bit grid k/255. */
function images(n: number, size: number, channels: number, seed: number): tf.Tensor4D {
  const rng = new Rng(seed);
  const values = new Float32Array(n * size * size * channels);
  for (let i = 0; i < n; i++) {
    const [fx, fy, phase] = [rng.uniform(0.2, 1), rng.uniform(0.2, 1), rng.uniform(0, 6)];
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        for (let c = 0; c < channels; c++) {
          const v = 0.5 + 0.4 * Math.sin(fx * x + fy * y + phase + c) + 0.05 * rng.normal();
          values[((i * size + y) * size + x) * channels + c] =
            Math.round(255 * Math.min(1, Math.max(0, v))) / 255;
        }
      }
    }
  }
  return tf.tensor4d(values, [n, size, size, channels]);
}

/** A Glow initialized on data and with every parameter moved off its (often zero) initial value. */
function trainedLookingGlow(options: Omit<GlowOptions, 'rng'>, seed: number, x: tf.Tensor4D): Glow {
  const glow = new Glow({ ...options, rng: new Rng(seed) });
  glow.initialize(x);
  perturbParameters(glow, new Rng(seed + 1), 0.05);
  return glow;
}

function maxAbsDifference(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe('Glow encode/decode', () => {
  it('returns one latent per level with the documented shapes, D values in all', () => {
    const x = images(3, 8, 1, 1);
    const glow = new Glow({ ...tiny, rng: new Rng(1) });
    const { latents, logdet } = glow.encode(x);
    expect(latents.map((z) => z.shape)).toEqual(glow.latentShapes().map((s) => [3, ...s]));
    expect(glow.latentShapes()).toEqual([
      [4, 4, 2],
      [2, 2, 8],
    ]);
    expect(latents.reduce((n, z) => n + z.size, 0)).toBe(x.size);
    expect(logdet.shape).toEqual([3]);
    tf.dispose([x, logdet, ...latents]);
    glow.dispose();
  });

  it.each([
    { name: 'affine, LU, learned priors', options: {} },
    { name: 'additive, plain 1×1 conv', options: { coupling: 'additive', invConv: 'plain' } },
    {
      name: 'exp-tanh, standard priors (flow-lp)',
      options: { scaleForm: 'exp-tanh', splitPrior: 'standard', topPrior: 'standard' },
    },
  ] as const)('decode(encode(x)) = x to 1e-4 ($name)', ({ options }) => {
    const x = images(4, 8, 1, 2);
    const glow = trainedLookingGlow({ ...tiny, ...options }, 2, x);
    const { latents, logdet } = glow.encode(x);
    const back = glow.decode(latents);
    expect(maxAbsDifference(back, x)).toBeLessThan(1e-4);
    tf.dispose([x, back, logdet, ...latents]);
    glow.dispose();
  });

  it.skipIf(!existsSync(FASHION_MNIST_TEST))('is exact on real Fashion-MNIST images padded to 32×32', () => {
    const idx = gunzipSync(readFileSync(FASHION_MNIST_TEST));
    const count = 4;
    const padded = new Float32Array(count * 32 * 32);
    for (let i = 0; i < count; i++) {
      for (let y = 0; y < 28; y++) {
        for (let x = 0; x < 28; x++)
          padded[(i * 32 + y + 2) * 32 + x + 2] = idx[16 + (i * 28 + y) * 28 + x] / 255;
      }
    }
    const x = tf.tensor4d(padded, [count, 32, 32, 1]);
    const glow = trainedLookingGlow({ inputShape: [32, 32, 1], levels: 3, steps: 2, hidden: 8 }, 3, x);
    const { latents, logdet } = glow.encode(x);
    const back = glow.decode(latents);
    expect(maxAbsDifference(back, x)).toBeLessThan(1e-4);
    tf.dispose([x, back, logdet, ...latents]);
    glow.dispose();
  });

  it('decode is differentiable in the latents (as latent-space attacks need)', () => {
    const x = images(2, 8, 1, 12);
    const glow = trainedLookingGlow(tiny, 12, x);
    const { latents, logdet } = glow.encode(x);
    const weights = new Rng(13).normalTensor([2, 8, 8, 1]);
    const objective = (top: tf.Tensor) =>
      tf.sum(tf.mul(glow.decode([latents[0], top as tf.Tensor4D]), weights));
    const gradient = tf.grad(objective)(latents[1]);
    // Central difference along the gradient direction agrees with the gradient's squared norm.
    const eps = 1e-2;
    const [up, down] = [1, -1].map((sign) =>
      tf.tidy(() => objective(tf.add(latents[1], tf.mul(gradient, sign * eps))).dataSync()[0]),
    );
    const squaredNorm = tf.tidy(() => tf.sum(tf.square(gradient)).dataSync()[0]);
    expect(squaredNorm).toBeGreaterThan(0);
    expect(Math.abs((up - down) / (2 * eps) - squaredNorm)).toBeLessThan(1e-2 * squaredNorm);
    tf.dispose([x, logdet, weights, gradient, ...latents]);
    glow.dispose();
  });

  it('decode rejects latents of the wrong shapes', () => {
    const glow = new Glow({ ...tiny, rng: new Rng(4) });
    const z = tf.zeros([1, 2, 2, 8]) as tf.Tensor4D;
    expect(() => glow.decode([z])).toThrow(PerturbError);
    z.dispose();
    glow.dispose();
  });

  it('rejects an image size that cannot be squeezed L times', () => {
    expect(() => new Glow({ inputShape: [28, 28, 1], levels: 3, rng: new Rng(0) })).toThrow(/multiple of 8/);
  });
});

describe('Glow densities', () => {
  it('logProb is log N(z; 0, I) + logdet with standard priors', () => {
    const x = images(3, 8, 1, 5);
    const glow = trainedLookingGlow({ ...tiny, splitPrior: 'standard', topPrior: 'standard' }, 5, x);
    const [fromModel, byHand] = tf.tidy(() => {
      const { latents, logdet } = glow.encode(x);
      const sumSquares = tf.addN(latents.map((z) => tf.sum(tf.square(z), [1, 2, 3])));
      const logPrior = tf.mul(tf.add(sumSquares, (x.size / 3) * Math.log(2 * Math.PI)), -0.5);
      return [glow.logProb(x), tf.add(logPrior, logdet)];
    });
    expect(maxAbsDifference(fromModel, byHand)).toBeLessThan(1e-3);
    tf.dispose([x, fromModel, byHand]);
    glow.dispose();
  });

  it('bits/dim of an untrained model is finite and near 8 on noise images', () => {
    // An untrained flow with data-initialized ActNorm is roughly a Gaussian fit to the pixels;
    // on uniform 8-bit noise the best possible is exactly 8 bits/dim.
    const noise = tf.tidy(
      () => tf.div(tf.round(tf.mul(new Rng(6).uniformTensor([16, 8, 8, 1]), 255)), 255) as tf.Tensor4D,
    );
    const glow = new Glow({ ...tiny, rng: new Rng(6) });
    glow.initialize(noise);
    const bpd = glow.bitsPerDim(noise);
    const value = bpd.dataSync()[0];
    expect(Number.isFinite(value)).toBe(true);
    expect(value).toBeGreaterThan(7.5);
    expect(value).toBeLessThan(9.5);
    tf.dispose([noise, bpd]);
    glow.dispose();
  });

  it('bits/dim is deterministic without an rng and noisy with one', () => {
    const x = images(4, 8, 1, 7);
    const glow = trainedLookingGlow(tiny, 7, x);
    const values = [undefined, undefined, new Rng(1), new Rng(2)].map((rng) =>
      tf.tidy(() => glow.bitsPerDim(x, { rng }).dataSync()[0]),
    );
    expect(values[0]).toBe(values[1]);
    expect(values[2]).not.toBe(values[3]);
    expect(Math.abs(values[2] - values[0])).toBeLessThan(0.5);
    x.dispose();
    glow.dispose();
  });

  it('a class-conditional prior needs labels and uses them', () => {
    const x = images(2, 8, 1, 8);
    const glow = trainedLookingGlow({ ...tiny, numClasses: 3 }, 8, x);
    expect(() => glow.logProb(x)).toThrow(PerturbError);
    const [a, b] = tf.tidy(() => [
      glow.logProb(x, { labels: tf.oneHot(tf.tensor1d([0, 1], 'int32'), 3) as tf.Tensor2D }),
      glow.logProb(x, { labels: tf.oneHot(tf.tensor1d([2, 2], 'int32'), 3) as tf.Tensor2D }),
    ]);
    expect(maxAbsDifference(a, b)).toBeGreaterThan(1e-3);
    tf.dispose([x, a, b]);
    glow.dispose();
  });
});

describe('Glow sampling and persistence', () => {
  it('samples images of the input shape; at temperature 0 the noise does not matter', () => {
    const x = images(4, 8, 1, 9);
    const glow = trainedLookingGlow(tiny, 9, x);
    const a = glow.sample(2, { rng: new Rng(1), temperature: 0 });
    const b = glow.sample(2, { rng: new Rng(2), temperature: 0 });
    const c = glow.sample(2, { rng: new Rng(3), temperature: 0.7 });
    expect(a.shape).toEqual([2, 8, 8, 1]);
    expect(maxAbsDifference(a, b)).toBe(0);
    expect(maxAbsDifference(a, c)).toBeGreaterThan(1e-3);
    expect(c.dataSync().every(Number.isFinite)).toBe(true);
    tf.dispose([x, a, b, c]);
    glow.dispose();
  });

  it('save → load gives identical outputs and keeps ActNorm initialized', () => {
    const dir = tempDir();
    const x = images(4, 8, 1, 10);
    const original = trainedLookingGlow(tiny, 10, x);
    saveCheckpoint(join(dir, 'glow.safetensors'), original, { note: 'test' });
    const loaded = new Glow({ ...tiny, rng: new Rng(999) });
    const { meta } = loadCheckpoint<{ note: string }>(join(dir, 'glow.safetensors'), loaded);
    expect(meta.note).toBe('test');
    // A different batch first: a re-initializing ActNorm would change the outputs.
    const other = images(2, 8, 1, 11);
    tf.dispose(loaded.logProb(other));
    const [a, b] = [original.logProb(x), loaded.logProb(x)];
    expect(maxAbsDifference(a, b)).toBe(0);
    const za = original.encode(x).latents;
    const back = loaded.decode(za);
    expect(maxAbsDifference(back, x)).toBeLessThan(1e-4);
    tf.dispose([x, other, a, b, back, ...za]);
    original.dispose();
    loaded.dispose();
  });
});
