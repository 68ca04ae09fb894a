import * as tf from '@tensorflow/tfjs-core';
import { Rng, TinyClassifier, initBackend } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { autoAugment } from './auto-augment';
import { AUTO_AUGMENT_BINS, POLICIES } from './auto/policies';
import type { Image } from './auto/image';
import { SPACES, applyOp, opsOf } from './auto/spaces';
import { randAugment } from './rand-augment';
import { describeAugmenter } from './testing/describe-augmenter';
import { contextFor, randomBatch, values } from './testing/fixtures';
import { trivialAugment } from './trivial-augment';

describeAugmenter('randAugment', () => randAugment());
describeAugmenter('randAugment (bilinear)', () => randAugment({ n: 3, m: 20, interpolation: 'bilinear' }));
describeAugmenter('trivialAugment', () => trivialAugment(), { size: 32 });
describeAugmenter('autoAugment', () => autoAugment());

describe('the policy augmenters', () => {
  let model: TinyClassifier;
  beforeAll(async () => {
    await initBackend({ backend: 'cpu', log: false });
    model = new TinyClassifier({ inChannels: 3, width: 4, seed: 1 });
  });

  it('randAugment draws n ops per sample, in sample order, from its stream', () => {
    const batch = randomBatch(1, 3, 6);
    const out = values(randAugment({ n: 2, m: 12, fill: 0.25 }).transform!(batch, contextFor(model, 9)).x);
    // The same draws by hand: op, then its sign if it has one, twice per sample.
    const rng = new Rng(9);
    const ops = opsOf(SPACES.randAugment);
    const data = batch.x.dataSync();
    const expected = [0, 1, 2].flatMap((i) => {
      let image: Image = {
        data: Float32Array.from(data.subarray(i * 108, (i + 1) * 108)),
        height: 6,
        width: 6,
        channels: 3,
      };
      for (let k = 0; k < 2; k++) {
        image = applyOp(
          ops[rng.int(ops.length)],
          12,
          31,
          image,
          { interpolation: 'nearest', fill: 0.25 },
          rng,
        );
      }
      return Array.from(image.data);
    });
    expect(out).toEqual(expected);
  });

  it('treats each sample on its own: identical images come out different', () => {
    const same = {
      x: tf.tile(randomBatch(2, 1, 8).x, [16, 1, 1, 1]) as tf.Tensor4D,
      y: randomBatch(2, 16).y,
    };
    for (const augmenter of [randAugment(), trivialAugment(), autoAugment()]) {
      const out = augmenter.transform!(same, contextFor(model, 4)).x;
      const samples = tf.split(out, 16).map((t) => values(t).join());
      expect(new Set(samples).size, augmenter.name).toBeGreaterThan(4);
    }
  });

  it('work on one-channel (grayscale) images', () => {
    const batch = randomBatch(3, 4, 28, 1);
    for (const augmenter of [randAugment({ m: 30 }), trivialAugment(), autoAugment()]) {
      const out = values(augmenter.transform!(batch, contextFor(model, 5)).x);
      expect(out).toHaveLength(4 * 28 * 28);
      expect(Math.min(...out)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...out)).toBeLessThanOrEqual(1);
    }
  });

  it('randAugment with n = 0 changes nothing, and refuses m outside its bins', () => {
    const batch = randomBatch(4);
    expect(values(randAugment({ n: 0 }).transform!(batch, contextFor(model, 6)).x)).toEqual(values(batch.x));
    expect(() => randAugment({ m: 31 })).toThrow(
      /"m" is 31 with 31 bins in randAugment options\. use an "m" below "bins"/,
    );
  });

  it('autoAugment ships the 25 two-step sub-policies of the CIFAR-10 policy, within its space', () => {
    expect(POLICIES.cifar10).toHaveLength(25);
    for (const steps of POLICIES.cifar10) {
      for (const [op, p, bin = 0] of steps) {
        expect(Object.keys(SPACES.autoAugment)).toContain(op);
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThanOrEqual(1);
        expect(bin).toBeLessThan(AUTO_AUGMENT_BINS);
      }
    }
  });
});
