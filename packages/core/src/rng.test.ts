import { describe, expect, it } from 'vitest';
import { Rng } from './rng';

describe('Rng', () => {
  it('repeats exactly for the same seed and differs for another', () => {
    const draw = (seed: number) => Array.from({ length: 5 }, () => new Rng(seed).nextUint32());
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const seqA = Array.from({ length: 100 }, () => a.next());
    expect(Array.from({ length: 100 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 100 }, () => c.next())).not.toEqual(seqA);
    expect(draw(1)).toEqual(draw(1));
  });

  it('derives child streams from the name, not from the position', () => {
    const parent = new Rng(7);
    const before = parent.child('crop').next();
    parent.next();
    parent.next();
    expect(parent.child('crop').next()).toBe(before);
    expect(parent.child('flip').next()).not.toBe(before);
  });

  it('draws uniform and normal values with the right moments', () => {
    const rng = new Rng(3);
    const n = 20000;
    const u = Array.from({ length: n }, () => rng.next());
    const z = Array.from({ length: n }, () => rng.normal());
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(mean(u)).toBeCloseTo(0.5, 1);
    expect(mean(z)).toBeCloseTo(0, 1);
    expect(mean(z.map((x) => x * x))).toBeCloseTo(1, 1);
  });

  it('makes permutations of every index', () => {
    const p = new Rng(5).permutation(50);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect([...p]).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('resumes from a saved state', () => {
    const rng = new Rng(11);
    rng.normal();
    const state = rng.getState();
    const expected = [rng.normal(), rng.next(), rng.normal()];
    const resumed = new Rng(0);
    resumed.setState(JSON.parse(JSON.stringify(state)));
    expect([resumed.normal(), resumed.next(), resumed.normal()]).toEqual(expected);
  });
});
