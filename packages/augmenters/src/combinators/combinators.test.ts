import * as tf from '@tensorflow/tfjs-core';
import {
  Rng,
  TinyClassifier,
  initBackend,
  stepContext,
  type Augmenter,
  type Batch,
  type LossStage,
} from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { cutout } from '../cutout';
import { randomCrop } from '../crop';
import { horizontalFlip } from '../flip';
import { mixup } from '../mixup';
import { pixelPgd } from '../pixel-pgd';
import { describeAugmenter } from '../testing/describe-augmenter';
import { contextFor, randomBatch, values } from '../testing/fixtures';
import { mixClean } from './mix-clean';
import { oneOf } from './one-of';
import { pipeline } from './pipeline';
import { randomApply } from './random-apply';

describeAugmenter('pipeline', () => pipeline([randomCrop(), horizontalFlip(), cutout({ size: 3 })]));
describeAugmenter('oneOf', () => oneOf([horizontalFlip(), cutout({ size: 3 }), mixup()], [1, 1, 2]));
describeAugmenter('randomApply (per sample)', () => randomApply(cutout({ size: 3 }), 0.5));
// p high enough that the two seeds the battery compares both apply mixup.
describeAugmenter('randomApply (per batch)', () => randomApply(mixup(), 0.95, { per: 'batch' }));
describeAugmenter('mixClean', () => mixClean(pixelPgd(), 0.5));

/** Sets every pixel to `value`. */
const fill = (name: string, value: number): Augmenter => ({
  name,
  transform: (b) => ({ x: tf.fill(b.x.shape, value) as tf.Tensor4D, y: b.y }),
});
/** x ↦ scale·x + shift. */
const affine = (name: string, scale: number, shift: number): Augmenter => ({
  name,
  transform: (b) => ({ x: tf.add(tf.mul(b.x, scale), shift) as tf.Tensor4D, y: b.y }),
});
/** A loss stage only, with one constant term. */
const constantLoss = (name: string, cleanWeight: number, value: number): Augmenter => ({
  name,
  losses: () => ({ cleanWeight, terms: () => [{ name, weight: 1, value: () => tf.scalar(value) }] }),
});
/** Records the first number of its stream at every call. */
function recorder(name: string, seen: Record<string, number[]>): Augmenter {
  return {
    name,
    transform: (b, ctx) => {
      (seen[name] ??= []).push(ctx.rng.next());
      return b;
    },
  };
}
/** A batch of `n` one-pixel images, sample i holding i / n. */
function indexBatch(n: number): Batch {
  return {
    x: tf.tensor4d(
      Array.from({ length: n }, (_, i) => i / n),
      [n, 1, 1, 1],
    ),
    y: tf.cast(tf.oneHot(new Array<number>(n).fill(0), 2), 'float32') as tf.Tensor2D,
  };
}
const termNames = (stage: LossStage) => stage.terms().map((t) => t.name);

describe('combinators', () => {
  let model: TinyClassifier;
  const ctx = (seed: number) => contextFor(model, seed);
  /** The root context of step `n` of a run seeded by `seed`, as the trainer makes it. */
  const step = (seed: number, n: number) => stepContext(model, new Rng(seed), { step: n, epoch: 0 });
  beforeAll(async () => {
    await initBackend({ backend: 'cpu', log: false });
    model = new TinyClassifier({ inChannels: 3, width: 4, seed: 1 });
  });

  describe('pipeline', () => {
    it('runs children in order', () => {
      const out = pipeline([affine('half', 0.5, 0), affine('plus', 1, 0.25)]).transform!(
        indexBatch(4),
        ctx(1),
      );
      expect(values(out.x)).toEqual([0.25, 0.375, 0.5, 0.625]);
    });

    it('gives each child its own stream, new at every step, unshifted by added siblings', () => {
      const seen: Record<string, number[]> = {};
      const twoChildren = pipeline([recorder('a', seen), recorder('b', seen)]);
      twoChildren.transform!(indexBatch(2), step(2, 0));
      twoChildren.transform!(indexBatch(2), step(2, 1));
      expect(seen.a[0]).not.toBe(seen.b[0]);
      expect(seen.a[0]).not.toBe(seen.a[1]);
      const again: Record<string, number[]> = {};
      pipeline([recorder('c', again), recorder('a', again), recorder('b', again)]).transform!(
        indexBatch(2),
        step(2, 0),
      );
      expect([again.a[0], again.b[0]]).toEqual([seen.a[0], seen.b[0]]);
    });

    it('collects the loss stages of all children, multiplying clean weights', () => {
      const combined = pipeline([constantLoss('a', 0.5, 1), affine('id', 1, 0), constantLoss('b', 0.7, 2)]);
      const stage = combined.losses!(indexBatch(2), ctx(3));
      expect(stage.cleanWeight).toBeCloseTo(0.35, 12);
      expect(termNames(stage)).toEqual(['a', 'b']);
      expect(combined.transform).toBeDefined();
      expect(pipeline([affine('id', 1, 0)]).losses).toBeUndefined();
      expect(pipeline([constantLoss('a', 1, 0)]).transform).toBeUndefined();
    });

    it('rejects duplicate names and empty lists', () => {
      expect(() => pipeline([horizontalFlip(), horizontalFlip()])).toThrow(
        /two augmenters named "horizontalFlip"/,
      );
      expect(() => pipeline([])).toThrow(/got no augmenters/);
    });
  });

  describe('oneOf', () => {
    it('picks children per sample in proportion to their weights, keeping sample positions', () => {
      const n = 2000;
      const batch = indexBatch(n);
      const out = values(
        oneOf([affine('keep', 1, 0), fill('one', 1), fill('never', -1)], [1, 3, 0]).transform!(batch, ctx(4))
          .x,
      );
      const input = values(batch.x);
      const kept = out.filter((v, i) => v === input[i]).length;
      expect(out.filter((v) => v === 1).length + kept).toBe(n);
      expect(kept / n).toBeGreaterThan(0.22);
      expect(kept / n).toBeLessThan(0.28);
    });

    it('picks one child loss stage per batch by the weights', () => {
      const chooser = oneOf([constantLoss('a', 1, 0), affine('id', 1, 0)], [3, 1]);
      const picks = Array.from(
        { length: 400 },
        (_, s) => termNames(chooser.losses!(indexBatch(2), ctx(s))).length,
      );
      const share = picks.filter((p) => p === 1).length / picks.length;
      expect(share).toBeGreaterThan(0.68);
      expect(share).toBeLessThan(0.82);
    });

    it('rejects weights that do not match the children', () => {
      expect(() => oneOf([horizontalFlip(), cutout()], [1])).toThrow(/1 weights for 2 augmenters/);
      expect(() => oneOf([horizontalFlip()], [0])).toThrow(
        /"weights" is \[0\] in oneOf options\. give at least one weight > 0/,
      );
      expect(() => oneOf([horizontalFlip()], [-1])).toThrow(/"weights\[0\]" is -1 in oneOf options/);
    });
  });

  describe('randomApply', () => {
    it('with p = 0 returns the batch, with p = 1 the child output', () => {
      const batch = indexBatch(8);
      expect(randomApply(fill('one', 1), 0).transform!(batch, ctx(5))).toBe(batch);
      expect(values(randomApply(fill('one', 1), 1).transform!(batch, ctx(5)).x)).toEqual(
        new Array(8).fill(1),
      );
    });

    it('per sample, augments a random subset; per batch, all samples or none', () => {
      const batch = indexBatch(400);
      const perSample = values(randomApply(fill('one', 1), 0.3).transform!(batch, ctx(6)).x);
      const share = perSample.filter((v) => v === 1).length / 400;
      expect(share).toBeGreaterThan(0.22);
      expect(share).toBeLessThan(0.38);
      const input = values(batch.x);
      expect(perSample.every((v, i) => v === 1 || v === input[i])).toBe(true);
      const outcomes = Array.from({ length: 20 }, (_, s) => {
        const out = values(
          randomApply(fill('one', 1), 0.5, { per: 'batch' }).transform!(indexBatch(16), ctx(s)).x,
        );
        return out.filter((v) => v === 1).length;
      });
      expect(new Set(outcomes)).toEqual(new Set([0, 16]));
    });

    it('applies a loss stage with probability p per batch', () => {
      const never = randomApply(constantLoss('a', 0.5, 1), 0);
      const always = randomApply(constantLoss('a', 0.5, 1), 1);
      expect(termNames(never.losses!(indexBatch(2), ctx(7)))).toEqual([]);
      expect(always.losses!(indexBatch(2), ctx(7)).cleanWeight).toBe(0.5);
      expect(never.transform).toBeUndefined();
    });
  });

  describe('mixClean', () => {
    it('with ratio 0 returns the clean batch without running the child, with ratio 1 the child output', () => {
      let calls = 0;
      const counted: Augmenter = {
        name: 'counted',
        transform: (b) => (calls++, fill('one', 1).transform!(b, ctx(0))),
      };
      const batch = randomBatch(1);
      expect(mixClean(counted, 0).transform!(batch, ctx(8))).toBe(batch);
      expect(calls).toBe(0);
      expect(values(mixClean(counted, 1).transform!(batch, ctx(8)).x).every((v) => v === 1)).toBe(true);
    });

    it('replaces each sample with probability ratio, or exactly round(ratio·N) samples', () => {
      const batch = indexBatch(400);
      const replacedShare = (out: Batch) => values(out.x).filter((v) => v === 1).length / 400;
      const share = replacedShare(mixClean(fill('one', 1), 0.5).transform!(batch, ctx(9)));
      expect(share).toBeGreaterThan(0.42);
      expect(share).toBeLessThan(0.58);
      expect(replacedShare(mixClean(fill('one', 1), 0.5, { exact: true }).transform!(batch, ctx(9)))).toBe(
        0.5,
      );
    });

    it('mixes labels along with images and passes the loss stage through', () => {
      const relabel: Augmenter = {
        name: 'relabel',
        transform: (b) => ({
          x: b.x,
          y: tf.cast(tf.oneHot(new Array<number>(b.x.shape[0]).fill(1), 2), 'float32') as tf.Tensor2D,
        }),
        losses: () => ({ cleanWeight: 0.5, terms: () => [] }),
      };
      const mixed = mixClean(relabel, 0.5);
      const out = mixed.transform!(indexBatch(64), ctx(10));
      const rows = out.y.arraySync();
      expect(rows.some((r) => r[1] === 1) && rows.some((r) => r[0] === 1)).toBe(true);
      expect(mixed.losses!(indexBatch(2), ctx(10)).cleanWeight).toBe(0.5);
      expect(() => mixClean(constantLoss('a', 1, 0), 0.5)).toThrow(/no input stage/);
    });
  });
});
