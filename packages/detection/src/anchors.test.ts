import { PerturbError, Rng, initBackend } from '@perturb/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AnchorGenerator,
  BELOW_LOW_THRESHOLD,
  BETWEEN_THRESHOLDS,
  Matcher,
  matchLabels,
  sampleBalanced,
} from './anchors';
import { boxIouArray } from './boxes';
import { fixture, maxAbsDiff } from './test-support';

interface AnchorCase {
  sizes: number[][];
  aspectRatios: number[][];
  imageSize: [number, number];
  featureSizes: [number, number][];
  anchors: number[];
}
interface MatcherCase {
  groundTruth: number[];
  predictions: number[];
  highThreshold: number;
  lowThreshold: number;
  allowLowQualityMatches: boolean;
  iou: number[];
  matches: number[];
}
const { cases, matcher } = fixture<{ cases: AnchorCase[]; matcher: MatcherCase[] }>('anchors.json');

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

describe('AnchorGenerator', () => {
  it.each(cases.map((c, i) => [i, c] as const))(
    'case %i equals torchvision AnchorGenerator exactly',
    (_, c) => {
      const generator = new AnchorGenerator({ sizes: c.sizes, aspectRatios: c.aspectRatios });
      const anchors = generator.generate(c.imageSize, c.featureSizes);
      expect(anchors.length).toBe(c.anchors.length);
      expect(maxAbsDiff(anchors, c.anchors)).toBe(0);
    },
  );

  it('counts anchors per location, repeats a single ratio list, and builds a tensor', () => {
    const generator = new AnchorGenerator({ sizes: [[32, 64], [128]], aspectRatios: [[0.5, 1, 2]] });
    expect(generator.anchorsPerLocation()).toEqual([6, 3]);
    expect(Array.from(generator.baseAnchors(1).subarray(4, 8))).toEqual([-64, -64, 64, 64]);
    const t = generator.generateTensor(
      [32, 32],
      [
        [4, 4],
        [2, 2],
      ],
    );
    expect(t.shape).toEqual([4 * 4 * 6 + 2 * 2 * 3, 4]);
    t.dispose();
  });

  it('refuses mismatched levels', () => {
    expect(() => new AnchorGenerator({ sizes: [[32], [64]], aspectRatios: [[1], [1], [1]] })).toThrow(
      PerturbError,
    );
    const generator = new AnchorGenerator({ sizes: [[32]], aspectRatios: [[1]] });
    expect(() =>
      generator.generate(
        [32, 32],
        [
          [4, 4],
          [2, 2],
        ],
      ),
    ).toThrow(/2 feature maps for 1 anchor levels/);
  });
});

describe('Matcher', () => {
  it.each(matcher.map((c, i) => [i, c] as const))('case %i equals torchvision Matcher', (_, c) => {
    const iou = boxIouArray(c.groundTruth, c.predictions);
    expect(maxAbsDiff(iou, c.iou)).toBeLessThan(1e-6);
    const m = new Matcher(c);
    expect(Array.from(m.match(c.iou, c.groundTruth.length / 4, c.predictions.length / 4))).toEqual(c.matches);
  });

  it('thresholds, the ignore band and the low-quality rule on a hand case', () => {
    // gt 0 overlaps predictions 0.8, 0.5, 0.1; gt 1 overlaps at most 0.2 (prediction 3).
    const iou = [0.8, 0.5, 0.1, 0.0, 0.1, 0.0, 0.0, 0.2];
    expect(Array.from(new Matcher({ highThreshold: 0.7, lowThreshold: 0.3 }).match(iou, 2, 4))).toEqual([
      0,
      BETWEEN_THRESHOLDS,
      BELOW_LOW_THRESHOLD,
      BELOW_LOW_THRESHOLD,
    ]);
    const lowQuality = new Matcher({ highThreshold: 0.7, lowThreshold: 0.3, allowLowQualityMatches: true });
    expect(Array.from(lowQuality.match(iou, 2, 4))).toEqual([0, BETWEEN_THRESHOLDS, BELOW_LOW_THRESHOLD, 1]);
    expect(Array.from(lowQuality.match([], 0, 3))).toEqual([-1, -1, -1]);
    expect(() => new Matcher({ highThreshold: 0.3, lowThreshold: 0.7 })).toThrow(PerturbError);
  });
});

describe('matchLabels', () => {
  it('gives matches their box label (or 1), background 0 and the ignore band −1', () => {
    const matches = [1, BELOW_LOW_THRESHOLD, 0, BETWEEN_THRESHOLDS];
    expect(Array.from(matchLabels(matches))).toEqual([1, 0, 1, -1]);
    expect(Array.from(matchLabels(matches, [7, 3]))).toEqual([3, 0, 7, -1]);
    expect(() => matchLabels([2], [7, 3])).toThrow(PerturbError);
  });
});

describe('sampleBalanced', () => {
  const labels = Int32Array.from({ length: 100 }, (_, i) => (i < 10 ? 1 + (i % 3) : i < 20 ? -1 : 0));

  it('caps positives at the fraction, fills with negatives, never draws ignored ones', () => {
    const { positive, negative } = sampleBalanced(
      labels,
      { batchSizePerImage: 16, positiveFraction: 0.25 },
      new Rng(3),
    );
    expect(positive.length).toBe(4);
    expect(negative.length).toBe(12);
    for (const i of positive) expect(labels[i]).toBeGreaterThanOrEqual(1);
    for (const i of negative) expect(labels[i]).toBe(0);
    expect(Array.from(positive)).toEqual([...positive].sort((a, b) => a - b));
  });

  it('takes all positives when they are few, and is deterministic per seed', () => {
    const a = sampleBalanced(labels, { batchSizePerImage: 64, positiveFraction: 0.5 }, new Rng(7));
    const b = sampleBalanced(labels, { batchSizePerImage: 64, positiveFraction: 0.5 }, new Rng(7));
    const c = sampleBalanced(labels, { batchSizePerImage: 64, positiveFraction: 0.5 }, new Rng(8));
    expect(a.positive.length).toBe(10);
    expect(a.negative.length).toBe(54);
    expect(a).toEqual(b);
    expect(Array.from(c.negative)).not.toEqual(Array.from(a.negative));
  });

  it('refuses bad options', () => {
    expect(() => sampleBalanced(labels, { batchSizePerImage: 0, positiveFraction: 0.5 }, new Rng(0))).toThrow(
      PerturbError,
    );
    expect(() => sampleBalanced(labels, { batchSizePerImage: 8, positiveFraction: 2 }, new Rng(0))).toThrow(
      /outside \[0, 1\]/,
    );
  });
});

// tf is imported so the backend (and its tensor accounting) is the one the other tests use.
void tf;
