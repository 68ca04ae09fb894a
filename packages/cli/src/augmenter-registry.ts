/**
 * Builds the augmenters a config names from core's `augmenters` registry: every package imported
 * here registers its own definitions (`@perturb/augmenters` its augmenters and combinators, the
 * method packages theirs), and plugins register theirs the same way.
 */
import '@perturb/augmenters';
import '@perturb/afan';
import '@perturb/latent-flow';
import '@perturb/vaegan';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { type Augmenter, type AugmenterEntry, type BuildEnvironment, buildAugmenter } from '@perturb/core';

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

  readFile(path: string): Uint8Array | undefined {
    return existsSync(path) && statSync(path).isFile() ? readFileSync(path) : undefined;
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
