/** The option schemas every augmenter factory of this package builds on. */
import { check, z } from '@perturb/core';

/** The options every augmenter factory accepts; each factory's schema extends it. */
export const augmenterOptions = z.strictObject({
  /**
   * The augmenter's name: unique among its siblings, and the name of its `Rng` stream and of its
   * slot in the saved state there. Default: the factory's name (e.g. `'randomCrop'`).
   */
  name: z.string().min(1).optional(),
});

/** Options every augmenter factory accepts. */
export type AugmenterOptions = z.input<typeof augmenterOptions>;

/** A probability: a number in [0, 1]. */
export const probability = z.number().min(0).max(1);

// Hand-written checks pixelPgd still uses, until its options get a schema too.

/** Throws unless `value` is a finite number ≥ 0. */
export function checkNonNegative(value: number, what: string): void {
  check(Number.isFinite(value) && value >= 0, `${what} is ${value}`, 'pass a finite number ≥ 0');
}

/** Throws unless `value` is an integer ≥ `min`. */
export function checkInteger(value: number, what: string, min: number): void {
  check(Number.isInteger(value) && value >= min, `${what} is ${value}`, `pass an integer ≥ ${min}`);
}

/** Throws unless `value` is one of `allowed` (options may come from untyped config files). */
export function checkChoice<T extends string>(value: T, allowed: readonly T[], what: string): void {
  check(
    allowed.includes(value),
    `${what} is "${value}"`,
    `use one of ${allowed.map((a) => `"${a}"`).join(', ')}`,
  );
}
