import { describe, expect, it } from 'vitest';
import { Rng } from '@perturb/core';
import {
  identity,
  invert,
  logAbsDet,
  luDecompose,
  matrix,
  multiply,
  orthogonalFactor,
  permutationMatrix,
} from './linalg';
import type { Matrix } from './linalg';

function randomMatrix(n: number, seed: number): Matrix {
  const rng = new Rng(seed);
  return matrix(
    n,
    Array.from({ length: n * n }, () => rng.normal()),
  );
}

function maxDifference(a: Matrix, b: Matrix): number {
  return Math.max(...a.data.map((v, i) => Math.abs(v - b.data[i])));
}

function transpose(a: Matrix): Matrix {
  return matrix(
    a.n,
    Array.from({ length: a.n * a.n }, (_, k) => a.data[(k % a.n) * a.n + Math.floor(k / a.n)]),
  );
}

describe('host linear algebra (float64)', () => {
  it('LU with pivoting reconstructs the matrix as P·L·U', () => {
    const a = randomMatrix(7, 1);
    const { perm, lower, upper } = luDecompose(a);
    expect(maxDifference(multiply(permutationMatrix(perm), multiply(lower, upper)), a)).toBeLessThan(1e-12);
    for (let i = 0; i < 7; i++) {
      expect(lower.data[i * 7 + i]).toBe(1);
      for (let j = 0; j < i; j++) expect(upper.data[i * 7 + j]).toBe(0);
    }
  });

  it('inverts: A·A⁻¹ = I', () => {
    const a = randomMatrix(9, 2);
    expect(maxDifference(multiply(a, invert(a)), identity(9))).toBeLessThan(1e-12);
  });

  it('log|det| matches a known determinant and is −∞ for a singular matrix', () => {
    // det [[2, 1, 0], [0, -3, 0], [4, 0, 0.5]] = 2·(−3)·0.5 = −3
    expect(logAbsDet(matrix(3, [2, 1, 0, 0, -3, 0, 4, 0, 0.5]))).toBeCloseTo(Math.log(3), 12);
    expect(logAbsDet(matrix(2, [1, 2, 2, 4]))).toBe(-Infinity);
  });

  it('the orthogonal factor of a Gaussian matrix is orthogonal', () => {
    const q = orthogonalFactor(randomMatrix(8, 3));
    expect(maxDifference(multiply(transpose(q), q), identity(8))).toBeLessThan(1e-12);
    expect(Math.abs(logAbsDet(q))).toBeLessThan(1e-12);
  });
});
