/**
 * What every command's configuration shares: settings arrive in layers (a YAML file, then
 * flags; or a compare config's base, then a method), later layers win, unknown keys are refused
 * and values are checked with errors that name where they came from.
 */
import { PerturbError } from '@perturb/core';

/** Settings from one source, not yet validated. */
export type RawSettings = Record<string, unknown>;

/** Merges `layers` in order, later ones winning; `undefined` values (flags not given) are skipped. */
export function mergeLayers(layers: RawSettings[]): RawSettings {
  const merged: RawSettings = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) if (value !== undefined) merged[key] = value;
  }
  return merged;
}

/** Refuses the first key of `raw` that is not in `known`, listing the valid ones. */
export function rejectUnknownKeys(raw: RawSettings, known: readonly string[], source: string): void {
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) {
      throw new PerturbError(
        `unknown setting "${key}" in ${source}`,
        `valid settings are ${known.join(', ')}`,
      );
    }
  }
}

/** Refuses `config[key]` unless it is absent or a whole number ≥ `min`. */
export function requireWholeNumber(config: object, key: string, min: number, source: string): void {
  const value = (config as RawSettings)[key];
  if (value !== undefined && !(Number.isInteger(value) && (value as number) >= min)) {
    throw new PerturbError(
      `"${key}" is ${JSON.stringify(value)} in ${source}`,
      `use a whole number ≥ ${min}`,
    );
  }
}

/** Refuses `config[key]` unless it is a finite number ≥ 0 (`example` completes the fix). */
export function requireNonNegativeNumber(config: object, key: string, source: string, example = ''): void {
  const value = (config as RawSettings)[key];
  if (!(typeof value === 'number' && value >= 0 && Number.isFinite(value))) {
    throw new PerturbError(`"${key}" is ${JSON.stringify(value)} in ${source}`, `use a number ≥ 0${example}`);
  }
}

/** Refuses `config[key]` unless it is a finite number > 0 (`example` completes the fix). */
export function requirePositiveNumber(config: object, key: string, source: string, example = ''): void {
  const value = (config as RawSettings)[key];
  if (!(typeof value === 'number' && value > 0 && Number.isFinite(value))) {
    throw new PerturbError(`"${key}" is ${JSON.stringify(value)} in ${source}`, `use a number > 0${example}`);
  }
}
