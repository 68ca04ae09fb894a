import { PerturbError, Rng } from '@perturb/core';
import { describe, expect, it } from 'vitest';
import type { Dataset } from './dataset';
import { classCounts, selectExamples } from './dataset';
import { shuffleDataset, stratifiedIndices, stratifiedSubset, validationSplit } from './subset';

/** A 1×1×1 dataset whose pixel is the example's index (mod 256) and whose class counts are `counts`. */
function toy(counts: number[]): Dataset {
  const labels = Uint8Array.from(counts.flatMap((n, c) => new Array<number>(n).fill(c)));
  new Rng(0).shuffle(labels); // interleave classes
  return {
    name: 'toy',
    images: Uint8Array.from(labels, (_, i) => i % 256),
    labels,
    shape: { height: 1, width: 1, channels: 1 },
    numClasses: counts.length,
    classNames: counts.map((_, c) => `c${c}`),
  };
}

describe('stratifiedSubset', () => {
  const balanced = toy(new Array(10).fill(100));

  it('takes exactly the same count from every class', () => {
    const subset = stratifiedSubset(balanced, { size: 250, rng: new Rng(1) });
    expect(classCounts(subset)).toEqual(new Array(10).fill(25));
    expect(stratifiedSubset(balanced, { fraction: 0.1, rng: new Rng(1) }).labels.length).toBe(100);
  });

  it('is reproducible from the seed and differs across seeds', () => {
    const a = stratifiedIndices(balanced, { size: 50, rng: new Rng(7) });
    const b = stratifiedIndices(balanced, { size: 50, rng: new Rng(7) });
    const c = stratifiedIndices(balanced, { size: 50, rng: new Rng(8) });
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    expect(Array.from(a)).toEqual(Array.from(a).sort((x, y) => x - y)); // file order kept
  });

  it('without an rng takes the first examples of each class', () => {
    const indices = stratifiedIndices(balanced, { size: 20 });
    for (let c = 0; c < 10; c++) {
      const firstTwo = Array.from(balanced.labels.keys())
        .filter((i) => balanced.labels[i] === c)
        .slice(0, 2);
      expect(firstTwo.every((i) => indices.includes(i))).toBe(true);
    }
  });

  it('spreads the remainder over distinct classes (±1)', () => {
    const counts = classCounts(stratifiedSubset(balanced, { size: 23, rng: new Rng(3) }));
    expect(counts.reduce((a, b) => a + b)).toBe(23);
    expect(counts.filter((n) => n === 3)).toHaveLength(3);
    expect(counts.filter((n) => n === 2)).toHaveLength(7);
  });

  it('gives a short class all it has and shares the rest', () => {
    const counts = classCounts(stratifiedSubset(toy([5, 100, 100]), { size: 60, rng: new Rng(2) }));
    expect(counts[0]).toBe(5);
    expect(counts[1] + counts[2]).toBe(55);
    expect(Math.abs(counts[1] - counts[2])).toBeLessThanOrEqual(1);
  });

  it('rejects impossible sizes', () => {
    expect(() => stratifiedSubset(balanced, { size: 1001 })).toThrow(
      /subset size 1001 is not a count in 0\.\.1000/,
    );
    expect(() => stratifiedSubset(balanced, { fraction: 1.5 })).toThrow(PerturbError);
    expect(() => stratifiedSubset(balanced, {})).toThrow(/exactly one of size and fraction/);
  });
});

describe('validationSplit', () => {
  it('holds out a stratified set and keeps the rest, disjoint and complete', () => {
    const data = toy([30, 30, 30]);
    const { train, validation } = validationSplit(data, { fraction: 0.2, rng: new Rng(5) });
    expect(classCounts(validation)).toEqual([6, 6, 6]);
    expect(classCounts(train)).toEqual([24, 24, 24]);
    // pixels are the original indices: together they are every example exactly once.
    const seen = [...train.images, ...validation.images].sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: 90 }, (_, i) => i));
  });
});

describe('shuffleDataset / selectExamples', () => {
  it('permutes examples with their labels, reproducibly', () => {
    const data = toy([3, 3]);
    const a = shuffleDataset(data, new Rng(11));
    expect(Array.from(a.images)).not.toEqual(Array.from(data.images));
    expect(Array.from(shuffleDataset(data, new Rng(11)).images)).toEqual(Array.from(a.images));
    a.images.forEach((original, i) => expect(a.labels[i]).toBe(data.labels[original]));
  });

  it('copies labels into their own type, never through the deprecated Buffer() (DEP0005)', () => {
    const fromFile = selectExamples({ ...toy([2, 2]), labels: Buffer.from([0, 1, 0, 1]) }, [3, 0]);
    expect(fromFile.labels.constructor).toBe(Uint8Array);
    expect(Array.from(fromFile.labels)).toEqual([1, 0]);
    const wide = selectExamples({ ...toy([2, 2]), labels: Int32Array.of(0, 1, 0, 1) }, [1]);
    expect(wide.labels).toEqual(Int32Array.of(1));
  });

  it('rejects out-of-range indices', () => {
    expect(() => selectExamples(toy([2]), [0, 2])).toThrow(/example index 2 is outside toy's 2 examples/);
  });
});
