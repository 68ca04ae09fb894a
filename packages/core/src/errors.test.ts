import { describe, expect, it, vi } from 'vitest';
import type * as errors from './errors';
import { PerturbError, check } from './errors';

describe('PerturbError', () => {
  it('reads as one line: the problem, then the fix', () => {
    const error = new PerturbError('lr is NaN', 'use a number');
    expect(error.message).toBe('lr is NaN. use a number');
    expect(error.name).toBe('PerturbError');
    expect(() => check(false, 'a', 'b')).toThrow(PerturbError);
  });

  it("is recognized by another copy of the module (the other build's class)", async () => {
    vi.resetModules();
    const other: typeof errors = await import('./errors');
    expect(other.PerturbError).not.toBe(PerturbError);
    expect(new other.PerturbError('a', 'b')).toBeInstanceOf(PerturbError);
    expect(new PerturbError('a', 'b')).toBeInstanceOf(other.PerturbError);
  });

  it('is not claimed for other errors, and subclasses keep the prototype check', () => {
    class Refusal extends PerturbError {}
    expect(new Error('x')).not.toBeInstanceOf(PerturbError);
    expect(Object.assign(new Error('x'), { name: 'PerturbError' })).not.toBeInstanceOf(PerturbError);
    expect(null).not.toBeInstanceOf(PerturbError);
    expect(new Refusal('a', 'b')).toBeInstanceOf(PerturbError);
    expect(new Refusal('a', 'b')).toBeInstanceOf(Refusal);
    expect(new PerturbError('a', 'b')).not.toBeInstanceOf(Refusal);
  });
});
