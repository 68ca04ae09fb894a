import { describe, expect, it } from 'vitest';
import { MAX_WASM_THREADS } from '@perturb/core';
import { threadsPerChild } from './child-process';

describe('threadsPerChild', () => {
  it('gives each child its part of the cores, at least one thread and at most what wasm can use', () => {
    expect(threadsPerChild(1, 2)).toBe(2);
    expect(threadsPerChild(2, 2)).toBe(1);
    expect(threadsPerChild(3, 2)).toBe(1);
    expect(threadsPerChild(3, 16)).toBe(5);
    // One run on a 64-core machine: more threads than wasm takes would stop every child at start.
    expect(threadsPerChild(1, 64)).toBe(MAX_WASM_THREADS);
  });
});
