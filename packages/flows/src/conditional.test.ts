import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { PerturbError, Rng, assertNoTensorLeak, initBackend } from '@perturb/core';
import { checkFlowLayer } from './check-flow-layer';
import { AffineCoupling } from './coupling';
import { Glow } from './glow';
import { toFlowSpace } from './data-space';
import { Permute } from './permute';
import { FLOW_PRESETS } from './presets';
import { TINY_GLOW, maxAbsDifference, perturbParameters, trainedLookingGlow } from './test-helpers';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

function oneHot(classes: number[], width: number): tf.Tensor2D {
  return tf.tidy(() => tf.oneHot(tf.tensor1d(classes, 'int32'), width) as tf.Tensor2D);
}

/** Images on the 8-bit grid k/255. */
function images(shape: [number, number, number, number], seed: number): tf.Tensor4D {
  return tf.tidy(() => tf.div(tf.round(tf.mul(new Rng(seed).uniformTensor(shape), 255)), 255) as tf.Tensor4D);
}

describe('conditional coupling layers pass the battery (inverse, logdet, numerical Jacobian)', () => {
  const condition = () =>
    tf.tensor2d([
      [0.3, -1.2, 2],
      [1, 0, 0],
    ]);

  for (const [label, options] of [
    ['conv subnet, one-hot-like condition', { hidden: 8, conditionSize: 3 }],
    ['fc subnet', { hidden: 8, conditionSize: 3, subnet: 'fc' }],
    ['fc subnet, exp-atan scale', { hidden: 8, conditionSize: 3, subnet: 'fc', scaleForm: 'exp-atan' }],
  ] as const) {
    it(label, () => {
      const layer = new AffineCoupling(new Rng(1), 4, options);
      perturbParameters(layer, new Rng(2), 0.3);
      const x = new Rng(3).normalTensor([2, 2, 2, 4]) as tf.Tensor4D;
      const c = condition();
      const report = checkFlowLayer(layer, x, { condition: c, jacobian: true });
      expect(report.jacobianError).toBeLessThan(1e-3);
      // The condition changes the map.
      const moved = tf.tidy(() =>
        maxAbsDifference(layer.forward(x, c).y, layer.forward(x, tf.zerosLike(c)).y),
      );
      expect(moved).toBeGreaterThan(1e-3);
      tf.dispose([x, c]);
      layer.dispose();
    });
  }

  it('a conditional coupling without its condition is one clear error', () => {
    const layer = new AffineCoupling(new Rng(1), 2, { hidden: 4, conditionSize: 3 });
    const x = tf.zeros([1, 2, 2, 2]) as tf.Tensor4D;
    expect(() => layer.forward(x)).toThrow(/needs a condition of shape \[1, 3\] but got none/);
    tf.dispose(x);
    layer.dispose();
  });

  it('Permute passes the battery and refuses a non-permutation', () => {
    const layer = Permute.random(new Rng(4), 6);
    const x = new Rng(5).normalTensor([2, 1, 2, 6]) as tf.Tensor4D;
    expect(checkFlowLayer(layer, x, { jacobian: true }).jacobianError).toBeLessThan(1e-6);
    expect(() => new Permute([0, 0, 1])).toThrow(PerturbError);
    x.dispose();
  });
});

describe('conditional Glow', () => {
  const multiscale = { ...TINY_GLOW, conditionSize: 3 } as const;
  const fc = {
    inputShape: [4, 4, 1],
    architecture: 'fc',
    levels: 1,
    steps: 2,
    hidden: 8,
    conditionSize: 3,
    scaleForm: 'exp-atan',
  } as const;

  for (const [label, options] of [
    ['multiscale (conv subnets)', multiscale],
    ['fully connected (flow-lp notebook)', fc],
  ] as const) {
    it(`${label}: encode/decode round trip with labels; the label changes the latents`, () => {
      const shape = options.inputShape;
      const x = images([4, ...shape], 7);
      const labels = oneHot([0, 1, 2, 1], 3);
      const glow = trainedLookingGlow(options, 8, x, labels);
      const { latents } = glow.encode(x, { condition: labels });
      const back = glow.decode(latents, { condition: labels });
      expect(maxAbsDifference(back, x)).toBeLessThan(1e-4);
      const other = oneHot([2, 2, 0, 0], 3);
      const { latents: otherLatents } = glow.encode(x, { condition: other });
      expect(maxAbsDifference(latents[0], otherLatents[0])).toBeGreaterThan(1e-3);
      expect(glow.sample(4, { rng: new Rng(1), condition: labels }).shape).toEqual([4, ...shape]);
      tf.dispose([x, labels, back, other, ...latents, ...otherLatents]);
      glow.dispose();
    });
  }

  it('the fully connected flow has a logdet equal to log|det J| of its numerical Jacobian', () => {
    const glow = trainedLookingGlow(fc, 9, images([4, 4, 4, 1], 9), oneHot([0, 1, 2, 0], 3));
    const x = new Rng(10).normalTensor([1, 1, 1, 16]) as tf.Tensor4D;
    const c = oneHot([1], 3);
    expect(checkFlowLayer(glow.levels[0], x, { condition: c, jacobian: true }).jacobianError).toBeLessThan(
      1e-3,
    );
    tf.dispose([x, c]);
    glow.dispose();
  });

  it('a conditional Glow without a condition, or an unconditional one with one, is one clear error', () => {
    const x = images([2, 8, 8, 1], 11);
    const conditional = new Glow({ ...multiscale, rng: new Rng(1) });
    const unconditional = new Glow({ ...TINY_GLOW, rng: new Rng(1) });
    const labels = oneHot([0, 1], 3);
    expect(() => conditional.encode(x)).toThrow(
      /is conditional and needs a condition of shape \[2, 3\] but got none/,
    );
    expect(() => conditional.logProb(x, { condition: oneHot([0, 1], 2) })).toThrow(/got \[2,2\]/);
    expect(() => unconditional.encode(x, { condition: labels })).toThrow(
      /is unconditional but was given a condition/,
    );
    expect(() => new Glow({ ...TINY_GLOW, numClasses: 3, conditionSize: 4, rng: new Rng(1) })).toThrow(
      /differ/,
    );
    expect(() => new Glow({ ...fc, levels: 2, rng: new Rng(1) })).toThrow(/one level/);
    expect(new Glow({ ...fc, levels: undefined, rng: new Rng(1) }).config.levels).toBe(1);
    tf.dispose([x, labels]);
    conditional.dispose();
    unconditional.dispose();
  });

  it('leaks no tensor', async () => {
    const x = images([2, 8, 8, 1], 12);
    const labels = oneHot([0, 2], 3);
    const glow = trainedLookingGlow(multiscale, 12, x, labels);
    await assertNoTensorLeak(() => {
      const { latents, logdet } = glow.encode(x, { condition: labels, latents: 'standardized' });
      tf.dispose([glow.decode(latents, { condition: labels, latents: 'standardized' }), ...latents, logdet]);
      tf.dispose(glow.logProb(x, { condition: labels }));
    });
    tf.dispose([x, labels]);
    glow.dispose();
  });
});

describe('standardized latents', () => {
  const learned = { ...TINY_GLOW, numClasses: 3 } as const;

  it('round trip through the standardized latents', () => {
    const x = images([3, 8, 8, 1], 13);
    const labels = oneHot([0, 1, 2], 3);
    const glow = trainedLookingGlow(learned, 13, x, labels);
    const { latents } = glow.encode(x, { condition: labels, latents: 'standardized' });
    const back = glow.decode(latents, { condition: labels, latents: 'standardized' });
    expect(maxAbsDifference(back, x)).toBeLessThan(1e-4);
    tf.dispose([x, labels, back, ...latents]);
    glow.dispose();
  });

  it('a standardized δ moves each level’s raw z by σ·δ (σ from that level’s prior)', () => {
    const x = images([2, 8, 8, 1], 14);
    const labels = oneHot([1, 2], 3);
    const glow = trainedLookingGlow(learned, 14, x, labels);
    const { latents: raw } = glow.encode(x, { condition: labels });
    const { latents: u } = glow.encode(x, { condition: labels, latents: 'standardized' });
    for (let level = 0; level < u.length; level++) {
      // δ on one level: the levels above it, hence its prior, stay as they were.
      const delta = new Rng(20 + level).normalTensor(u[level].shape, 0, 0.3) as tf.Tensor4D;
      const moved = u.map((v, i) => (i === level ? tf.add(v, delta) : v)) as tf.Tensor4D[];
      const image = glow.decode(moved, { condition: labels, latents: 'standardized' });
      const { latents: after } = glow.encode(image, { condition: labels });
      // The prior's σ at this level, from the clean encoding.
      const sigma = tf.tidy(() => {
        const { logStd } =
          level < glow.splits.length
            ? glow.splits[level].distribution(splitKept(glow, raw, level))
            : glow.top.distribution(labels);
        return tf.exp(logStd!);
      });
      const expected = tf.tidy(() => tf.add(raw[level], tf.mul(sigma, delta)));
      expect(maxAbsDifference(after[level], expected)).toBeLessThan(1e-3);
      // σ is not 1 here, so the standardized and raw steps really differ.
      expect(tf.tidy(() => maxAbsDifference(sigma, tf.onesLike(sigma)))).toBeGreaterThan(1e-2);
      tf.dispose([delta, image, sigma, expected, ...after, moved[level]]);
    }
    tf.dispose([x, labels, ...raw, ...u]);
    glow.dispose();
  });
});

/** The kept half at split `level`: the next level's input, rebuilt from the raw latents above it. */
function splitKept(glow: Glow, raw: tf.Tensor4D[], level: number): tf.Tensor4D {
  // With two levels the kept half of split 0 is the top level's input: the inverse of level 1 of the top latent.
  expect(level).toBe(0);
  return glow.levels[1].inverse(raw[raw.length - 1]).x;
}

describe('flow-lp data space', () => {
  const logit = {
    inputShape: [4, 4, 1],
    levels: 1,
    steps: 1,
    hidden: 4,
    dataSpace: 'logit',
    topPrior: 'standard',
  } as const;

  it('adds the bounded logit’s log-Jacobian, checked against finite differences', () => {
    const x = images([2, 4, 4, 1], 15);
    const { logdet } = toFlowSpace(x, 'logit');
    const h = (v: number) => Math.log((0.05 + 0.9 * v) / (0.95 - 0.9 * v));
    const values = x.dataSync();
    const expected = [0, 1].map((n) => {
      let sum = 0;
      for (let k = 0; k < 16; k++) {
        const v = values[n * 16 + k];
        sum += Math.log((h(v + 1e-6) - h(v - 1e-6)) / 2e-6);
      }
      return sum;
    });
    const got = Array.from(logdet.dataSync());
    got.forEach((value, n) => expect(value).toBeCloseTo(expected[n], 3));
    tf.dispose([x, logdet]);
  });

  it('round trip, and decode with range bounded returns flow-lp’s 0.05 + 0.9·x', () => {
    const x = images([2, 4, 4, 1], 16);
    const glow = trainedLookingGlow(logit, 16, x);
    const { latents } = glow.encode(x);
    const exact = glow.decode(latents);
    const bounded = glow.decode(latents, { range: 'bounded' });
    expect(maxAbsDifference(exact, x)).toBeLessThan(1e-4);
    const expected = tf.tidy(() => tf.add(tf.mul(x, 0.9), 0.05));
    expect(maxAbsDifference(bounded, expected)).toBeLessThan(1e-5);
    tf.dispose([x, exact, bounded, expected, ...latents]);
    glow.dispose();
  });

  it('dequantized encoding moves each value within its bin only', () => {
    const x = images([2, 8, 8, 1], 17);
    const glow = trainedLookingGlow(TINY_GLOW, 17, x);
    const { latents } = glow.encode(x, { dequantize: new Rng(3) });
    const back = glow.decode(latents);
    const offset = tf.tidy(() => tf.sub(back, tf.div(tf.round(tf.mul(x, 255)), 256)));
    const [low, high] = [tf.min(offset).dataSync()[0], tf.max(offset).dataSync()[0]];
    expect(low).toBeGreaterThanOrEqual(-1e-4);
    expect(high).toBeLessThanOrEqual(1 / 256 + 1e-4);
    tf.dispose([x, back, offset, ...latents]);
    glow.dispose();
  });
});

describe('FLOW_PRESETS', () => {
  it('flow-lp builds the Fashion-MNIST Glow of flow-lp: one level, 14×14×4 standard-normal latents, conditional', () => {
    const glow = new Glow({
      ...FLOW_PRESETS['flow-lp'].model,
      hidden: 4,
      inputShape: [28, 28, 1],
      rng: new Rng(1),
    });
    expect(glow.latentShapes()).toEqual([[14, 14, 4]]);
    expect(glow.conditionWidth).toBe(10);
    expect(glow.top.meanLogStd).toBeNull();
    glow.dispose();
    const fc = new Glow({
      ...FLOW_PRESETS['flow-lp-fc'].model,
      hidden: 4,
      steps: 1,
      inputShape: [28, 28, 1],
      rng: new Rng(1),
    });
    expect(fc.latentShapes()).toEqual([[1, 1, 784]]);
    fc.dispose();
  });
});
