/**
 * Builds the augmenters a config names from core's `augmenters` registry: every package imported
 * here registers its own (`@perturb/augmenters` its augmenters and combinators), and plugins
 * register theirs the same way.
 */
import '@perturb/augmenters';
import { type PixelPgdOptions, pixelPgd } from '@perturb/augmenters';
import { type AfanOptions, type LalfaOptions, afan, lalfa } from '@perturb/afan';
import {
  type Augmenter,
  type AugmenterEntry,
  type BuildEnvironment,
  PerturbError,
  buildAugmenter,
  defineAugmenter,
  z,
} from '@perturb/core';
import { type Glow, loadGlow } from '@perturb/flows';
import {
  type LatentAdversarialOptions,
  type LatentRandomOptions,
  latentAdversarial,
  latentRandom,
} from '@perturb/latent-flow';
import {
  type OnManifoldOptions,
  type VaeGan,
  loadClassSpecific,
  onManifoldAdversarial,
} from '@perturb/vaegan';

/**
 * What building one run's augmenters shares: entries are built from the registry, and trained
 * models named by path (a flow, a folder of VAE-GANs) are loaded once, however many augmenters
 * name them, and freed by {@link AugmenterBuilder.dispose}.
 */
export class AugmenterBuilder implements BuildEnvironment {
  private readonly values = new Map<string, { value: unknown; dispose?: (value: never) => void }>();

  augmenter(entry: unknown, where: string): Augmenter {
    return buildAugmenter(entry, this, where);
  }

  shared<T>(key: string, build: () => T, dispose?: (value: T) => void): T {
    const held = this.values.get(key);
    if (held) return held.value as T;
    const value = build();
    this.values.set(key, { value, ...(dispose ? { dispose: dispose as (value: never) => void } : {}) });
    return value;
  }

  /** Frees every shared value built so far. */
  dispose(): void {
    for (const { value, dispose } of this.values.values()) dispose?.(value as never);
    this.values.clear();
  }
}

/** Builds the augmenters `entries` name (a config's `augmenters:` list), in order. */
export function buildAugmenters(entries: readonly AugmenterEntry[], env: BuildEnvironment): Augmenter[] {
  return entries.map((entry, i) => env.augmenter(entry, `augmenters[${i}]`));
}

// TEMPORARY until scope 2's definitions merge: the augmenters of the method packages, their
// options checked by their own factories (a permissive schema here), so configs keep working.
// Delete this block when @perturb/augmenters (pixelPgd), @perturb/latent-flow, @perturb/afan and
// @perturb/vaegan register their own definitions; the registry refuses two under one name.
const checkedByFactory = z.record(z.string(), z.unknown());

function requirePath(options: Record<string, unknown>, key: string, augmenter: string, what: string): string {
  const value = options[key];
  if (typeof value !== 'string' || value === '') {
    throw new PerturbError(
      `${augmenter} needs "${key}": the path of ${what}`,
      `add ${key}: <path> to its options`,
    );
  }
  return value;
}

/** The Glow saved at `path` (a `perturb train-flow` checkpoint), frozen in eval mode, loaded once per build. */
function sharedFlow(env: BuildEnvironment, path: string): Glow {
  return env.shared(
    `flow:${path}`,
    () => loadGlow(path).eval(),
    (flow) => flow.dispose(),
  );
}

/** The class-specific VAE-GANs in `dir` (a `perturb train-vaegan` folder), in class order, loaded once per build. */
function sharedClassSpecific(env: BuildEnvironment, dir: string): VaeGan[] {
  return env.shared(
    `vaegan:${dir}`,
    () => loadClassSpecific(dir),
    (models) => models.forEach((model) => model.dispose()),
  );
}

defineAugmenter({
  name: 'pixelPgd',
  summary: 'projected gradient ascent on the classifier’s loss, in pixel space',
  schema: checkedByFactory,
  create: (options) => pixelPgd(options as PixelPgdOptions),
});
defineAugmenter({
  name: 'latentRandom',
  summary: 'random perturbations of a trained flow’s latents (LA-Glow)',
  schema: checkedByFactory,
  create: (options, env) =>
    latentRandom({
      ...options,
      flow: sharedFlow(env, requirePath(options, 'flow', 'latentRandom', 'a trained flow checkpoint')),
    } as LatentRandomOptions),
});
defineAugmenter({
  name: 'latentAdversarial',
  summary: 'PGD on a trained flow’s latents (LA-Glow)',
  schema: checkedByFactory,
  create: (options, env) =>
    latentAdversarial({
      ...options,
      flow: sharedFlow(env, requirePath(options, 'flow', 'latentAdversarial', 'a trained flow checkpoint')),
    } as LatentAdversarialOptions),
});
defineAugmenter({
  name: 'afan',
  summary: 'adversarial feature augmentation at one site (A-FAN)',
  schema: checkedByFactory,
  create: (options) => afan(options as AfanOptions),
});
defineAugmenter({
  name: 'lalfa',
  summary: 'adversarial features at several sites with learned weights (L-ALFA)',
  schema: checkedByFactory,
  create: (options) => lalfa(options as unknown as LalfaOptions),
});
defineAugmenter({
  name: 'onManifoldAdversarial',
  summary: 'on-manifold adversarial examples from class-specific VAE-GANs (LA-VAE-GAN)',
  schema: checkedByFactory,
  create: (options, env) => {
    const dir = requirePath(
      options,
      'models',
      'onManifoldAdversarial',
      'a folder of class-specific VAE-GANs',
    );
    // Loaded at the first step, as the factory's own loader would, but freed with the others.
    return onManifoldAdversarial({
      ...options,
      models: () => sharedClassSpecific(env, dir),
    } as OnManifoldOptions);
  },
});
// End of TEMPORARY block.
