/**
 * Options shared by `afan` and `lalfa`, and their validation. Options may come from untyped
 * YAML configs (`perturb train`), so every field is checked at construction, not at step 1000.
 */
import { check } from '@perturb/core';

/** How the PGD attack on features runs. */
export interface FeatureAttackOptions {
  /** Size γ of each sign step, in feature units. Default 0.5/255 (`afan`), 1/255 (`lalfa`). */
  stepSize?: number;
  /** Number of PGD steps. Default 5 (`afan`), 3 (`lalfa`). */
  steps?: number;
  /**
   * L∞ radius ε that δ is clipped to after every step. Default: no clipping (`Infinity`), as
   * the A-FAN scripts run. `0` leaves the features unchanged.
   */
  epsilon?: number;
  /** Start from δ ~ U(−ε, ε) instead of δ = 0; needs a finite `epsilon`. Default false. */
  randomInit?: boolean;
  /**
   * BatchNorm mode of the forward passes during the attack. `'train'` (the official code) uses
   * batch statistics, and so moves the running statistics once per step; `'eval'` uses the
   * running statistics and leaves them untouched. Default `'train'`.
   */
  bnMode?: 'train' | 'eval';
}

/** How the clean and adversarial losses are weighted. */
export interface LossWeightOptions {
  /** Multiplies the trainer's clean cross-entropy. Default 0.5. */
  cleanWeight?: number;
  /**
   * Weight of each adversarial term. Default 0.5 split evenly over the terms, so the loss is
   * ½ clean + ½ mean adversarial (the classification setting).
   */
  adversarialWeight?: number;
}

/** Options both plugins accept on top of the attack and the loss weights. */
export interface FeaturePluginOptions extends FeatureAttackOptions, LossWeightOptions {
  /** The augmenter's name, unique within a pipeline; names its `Rng` stream. Default: the factory's name. */
  name?: string;
  /**
   * Whether the head features are computed outside the gradient scope, so adversarial losses
   * train only the tail (A-FAN). `false` recomputes `head(x)` inside the scope so their
   * gradients reach the head too. Default true.
   */
  detachHead?: boolean;
}

/** Validated attack settings. */
export interface AttackSettings {
  stepSize: number;
  steps: number;
  epsilon: number;
  randomInit: boolean;
  /** Forward passes of the attack in training mode (`bnMode: 'train'`). */
  training: boolean;
}

/** Validates `options` and fills in `defaults` for the step size and count. */
export function resolveAttack(
  options: FeatureAttackOptions,
  defaults: { stepSize: number; steps: number },
  what: string,
): AttackSettings {
  const {
    stepSize = defaults.stepSize,
    steps = defaults.steps,
    epsilon = Infinity,
    randomInit = false,
    bnMode = 'train',
  } = options;
  checkNonNegative(stepSize, `${what} stepSize`);
  check(Number.isInteger(steps) && steps >= 0, `${what} steps is ${steps}`, 'pass an integer ≥ 0');
  check(
    typeof epsilon === 'number' && epsilon >= 0,
    `${what} epsilon is ${epsilon}`,
    'pass a number ≥ 0, or leave it out for no clipping',
  );
  check(
    !randomInit || Number.isFinite(epsilon),
    `${what} randomInit needs a finite epsilon to draw δ ~ U(−ε, ε) from`,
    'set epsilon, or set randomInit to false',
  );
  check(bnMode === 'train' || bnMode === 'eval', `${what} bnMode is "${bnMode}"`, 'use "train" or "eval"');
  return { stepSize, steps, epsilon, randomInit, training: bnMode === 'train' };
}

/** Throws unless `value` is a finite number ≥ 0. */
export function checkNonNegative(value: number, what: string): void {
  check(
    typeof value === 'number' && Number.isFinite(value) && value >= 0,
    `${what} is ${value}`,
    'pass a finite number ≥ 0',
  );
}

/** Throws unless `values` is a non-empty list of distinct site names. */
export function checkSites(sites: readonly string[], what: string): void {
  check(
    Array.isArray(sites) && sites.length > 0 && sites.every((s) => typeof s === 'string'),
    `${what} sites is ${JSON.stringify(sites)}`,
    'pass a non-empty list of feature site names, e.g. ["stage1"]',
  );
  check(
    new Set(sites).size === sites.length,
    `${what} sites ${JSON.stringify(sites)} repeat a site`,
    'list each site once',
  );
}

/** Validated options shared by both plugins. */
export interface PluginSettings {
  name: string;
  attack: AttackSettings;
  cleanWeight: number;
  /** Weight of each adversarial term. */
  adversarialWeight: number;
  detachHead: boolean;
}

/**
 * Validates the options both plugins share. `terms` is the number of adversarial terms the
 * default `adversarialWeight` (0.5 in all) is split over.
 */
export function resolvePluginOptions(
  options: FeaturePluginOptions,
  defaults: { name: string; stepSize: number; steps: number; terms: number },
): PluginSettings {
  const what = defaults.name;
  const {
    name = defaults.name,
    cleanWeight = 0.5,
    adversarialWeight = 0.5 / defaults.terms,
    detachHead = true,
  } = options;
  check(
    typeof name === 'string' && name.length > 0,
    `${what} name is ${JSON.stringify(name)}`,
    'pass a non-empty string',
  );
  checkNonNegative(cleanWeight, `${what} cleanWeight`);
  checkNonNegative(adversarialWeight, `${what} adversarialWeight`);
  check(
    typeof detachHead === 'boolean',
    `${what} detachHead is ${JSON.stringify(detachHead)}`,
    'pass true or false',
  );
  return { name, attack: resolveAttack(options, defaults, what), cleanWeight, adversarialWeight, detachHead };
}
