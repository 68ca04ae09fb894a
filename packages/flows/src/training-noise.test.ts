import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { PerturbError, Rng, assertNoTensorLeak, initBackend } from '@perturb/core';
import { dequantize } from './dequantize';
import { Glow } from './glow';
import { FLOW_PRESETS } from './presets';
import { TINY_GLOW as tiny } from './test-helpers';
import { trainFlow } from './train';
import { addTrainingNoise, parseTrainingNoise } from './training-noise';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

const gaussian = { kind: 'gaussian', std: 0.1 } as const;
/** 8 constant 16×16 images: 2048 values, enough for the moments below to sit well inside their tolerances. */
const SHAPE = [8, 16, 16, 1] as const;

function noised(value: number, seed: number): Float32Array {
  const x = tf.fill([...SHAPE], value) as tf.Tensor4D;
  const y = addTrainingNoise(x, gaussian, { rng: new Rng(seed) });
  const values = y.dataSync() as Float32Array;
  tf.dispose([x, y]);
  return values;
}

const mean = (v: Float32Array) => v.reduce((a, b) => a + b, 0) / v.length;
const std = (v: Float32Array) => Math.sqrt(v.reduce((a, b) => a + (b - mean(v)) ** 2, 0) / v.length);

describe('addTrainingNoise', () => {
  it('adds N(0, std²) noise to pixels away from the bounds', () => {
    // Standard errors for 2048 draws: 0.0022 on the mean, 0.0016 on the std; tolerances are ≥ 4 of them.
    const values = noised(0.5, 1);
    expect(Math.abs(mean(values) - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(std(values) - 0.1)).toBeLessThan(0.008);
  });

  it('clamps to [0, 1]: at a bound about half the draws stay on it, the rest follow a half-normal', () => {
    for (const bound of [0, 1]) {
      const values = noised(bound, 2);
      expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...values)).toBeLessThanOrEqual(1);
      const moved = values.filter((v) => v !== bound).map((v) => Math.abs(v - bound));
      expect(moved.length / values.length).toBeGreaterThan(0.45);
      expect(moved.length / values.length).toBeLessThan(0.55);
      // E|ε| for ε ~ N(0, 0.1²) is 0.1·√(2/π) ≈ 0.0798.
      expect(Math.abs(mean(Float32Array.from(moved)) - 0.1 * Math.sqrt(2 / Math.PI))).toBeLessThan(0.01);
    }
  });

  it('draws the same noise from the same seed, and none without an rng', () => {
    expect(noised(0.5, 3)).toEqual(noised(0.5, 3));
    expect(noised(0.5, 3)).not.toEqual(noised(0.5, 4));
    const x = tf.fill([...SHAPE], 0.25) as tf.Tensor4D;
    const y = addTrainingNoise(x, gaussian);
    expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
    tf.dispose([x, y]);
  });

  it('uniform noise is dequantize, drawing the same numbers', () => {
    const x = tf.tidy(() =>
      tf.div(tf.round(tf.mul(tf.randomUniform([...SHAPE], 0, 1, 'float32', 5), 255)), 255),
    ) as tf.Tensor4D;
    const a = addTrainingNoise(x, { kind: 'uniform' }, { nBits: 5, rng: new Rng(6) });
    const b = dequantize(x, { nBits: 5, rng: new Rng(6) });
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    tf.dispose([x, a, b]);
  });

  it('leaks no tensors', async () => {
    const x = tf.fill([...SHAPE], 0.5) as tf.Tensor4D;
    const rng = new Rng(7);
    await assertNoTensorLeak(() => addTrainingNoise(x, gaussian, { rng }).dispose(), { iterations: 2 });
    await assertNoTensorLeak(() => addTrainingNoise(x, gaussian).dispose(), { iterations: 2 });
    x.dispose();
  });
});

describe('the training noise option', () => {
  it('refuses a bad noise in one line naming the field and the fix', () => {
    for (const raw of [
      { kind: 'gaussian' },
      { kind: 'gaussian', std: -0.1 },
      { kind: 'laplace' },
      'gaussian',
    ]) {
      let error: unknown;
      try {
        parseTrainingNoise(raw);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(PerturbError);
      expect((error as Error).message).not.toContain('\n');
      expect((error as Error).message).toMatch(/^"noise[."]/);
    }
  });

  it('trainFlow refuses a bad noise before training', async () => {
    const model = new Glow({ ...tiny, rng: new Rng(8) });
    const train = { images: new Uint8Array(4 * 64), count: 4, height: 8, width: 8, channels: 1 };
    await expect(trainFlow({ model, train, epochs: 1, noise: { kind: 'gaussian', std: 0 } })).rejects.toThrow(
      /std/,
    );
    model.dispose();
  });

  it("flow-lp-fc trains on the notebook's Gaussian noise, std 0.1, clamped", () => {
    expect(FLOW_PRESETS['flow-lp-fc'].training.noise).toEqual({ kind: 'gaussian', std: 0.1 });
    expect(parseTrainingNoise(FLOW_PRESETS['flow-lp-fc'].training.noise)).toEqual(gaussian);
  });
});
