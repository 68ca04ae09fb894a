/** Option types and checks shared by every augmenter factory. */
import { check } from '@perturb/core';

/** Options every augmenter factory accepts. */
export interface AugmenterOptions {
  /**
   * The augmenter's name: unique within a pipeline, and the name of its `Rng` stream there.
   * Default: the factory's name (e.g. `'randomCrop'`).
   */
  name?: string;
}

/** Throws unless `value` is a probability. */
export function checkProbability(value: number, what: string): void {
  check(
    Number.isFinite(value) && value >= 0 && value <= 1,
    `${what} is ${value}, not a probability`,
    'pass a number between 0 and 1',
  );
}

/** Throws unless `value` is a finite number ≥ 0. */
export function checkNonNegative(value: number, what: string): void {
  check(Number.isFinite(value) && value >= 0, `${what} is ${value}`, 'pass a finite number ≥ 0');
}

/** Throws unless `value` is a finite number > 0. */
export function checkPositive(value: number, what: string): void {
  check(Number.isFinite(value) && value > 0, `${what} is ${value}`, 'pass a finite number > 0');
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
