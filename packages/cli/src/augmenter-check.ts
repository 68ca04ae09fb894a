/**
 * Checks a config's augmenter entries before anything is built, so a typo fails before hours
 * of training: the name must be registered and the options must fit the augmenter's schema.
 */
import {
  type Augmenter,
  type BuildEnvironment,
  augmenters,
  closest,
  createAugmenter,
  parseOptions,
  PerturbError,
} from '@perturb/core';
import { AUGMENTERS, type TrainedModels, buildAugmenters } from './augmenter-registry';
import { type AugmenterConfig, parseAugmenterEntry } from './config';

/** Throws a `PerturbError` for the first entry that names no augmenter or has bad options. */
export function checkAugmenterEntries(entries: readonly AugmenterConfig[], source: string): void {
  for (const { name, options } of entries) {
    if (augmenters.has(name)) {
      parseOptions(augmenters.get(name).schema, options, `${source} (augmenter ${name})`);
      continue;
    }
    // TEMPORARY: until every built-in augmenter is in core's registry (scope 1 of issue 15),
    // the CLI's own table knows the rest; their factories check their options when built.
    if (Object.hasOwn(AUGMENTERS, name)) continue;
    const names = [...augmenters.names(), ...Object.keys(AUGMENTERS)];
    const suggestion = closest(name, names);
    throw new PerturbError(
      `unknown augmenter "${name}" in ${source}`,
      `${suggestion ? `did you mean "${suggestion}"? ` : ''}use one of ${names.join(', ')}, or load the plugin that defines it under plugins:`,
    );
  }
}

/**
 * TEMPORARY: until scope 1 of issue 15 rebuilds `buildAugmenters` on core's registry, builds
 * registered augmenters (plugins') through the registry and the rest through the CLI's table.
 */
export function buildConfiguredAugmenters(configs: AugmenterConfig[], models: TrainedModels): Augmenter[] {
  const env: BuildEnvironment = {
    augmenter: (entry, where) => buildConfiguredAugmenters([parseAugmenterEntry(entry, where)], models)[0],
    shared: (_key, build) => build(),
  };
  return configs.map((config) =>
    augmenters.has(config.name)
      ? createAugmenter(augmenters.get(config.name), config.options, env)
      : buildAugmenters([config], models)[0],
  );
}
