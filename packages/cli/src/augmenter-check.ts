/**
 * Checks a config's augmenter entries before anything is built, so a typo fails before hours
 * of training: the name must be registered and the options must fit the augmenter's schema.
 * (Building would also check them, but loads the trained models the options name, which a
 * grid's shared flow may not have yet.)
 */
import { PerturbError, augmenters, closest, parseOptions } from '@perturb/core';
import type { AugmenterConfig } from './config';

/** Throws a `PerturbError` for the first entry that names no augmenter or has bad options. */
export function checkAugmenterEntries(entries: readonly AugmenterConfig[], source: string): void {
  for (const { name, options } of entries) {
    if (!augmenters.has(name)) {
      const names = augmenters.names();
      const suggestion = closest(name, names);
      throw new PerturbError(
        `unknown augmenter "${name}" in ${source}`,
        `${suggestion ? `did you mean "${suggestion}"? ` : ''}use one of ${names.join(', ')}, or load the plugin that defines it under plugins:`,
      );
    }
    parseOptions(augmenters.get(name).schema, options, `${source} (augmenter ${name})`);
  }
}
