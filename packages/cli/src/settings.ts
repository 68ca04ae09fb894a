/**
 * What every command's configuration shares: settings arrive in layers (a YAML file, then
 * flags; or a compare config's base, then a method) and later layers win; the merged settings
 * are then checked by the command's schema, whose plugins and dataset settings are the same in
 * every command.
 */
import { isDeepStrictEqual } from 'node:util';
import { z } from '@perturb/core';
import { pluginsSchema } from './plugins';

/** Dataset options every command sets from settings of its own, so `datasetOptions` may not repeat them. */
const DATA_SETTINGS = ['dataRoot', 'trainSize', 'testSize', 'padTo'];

/** The settings every command's schema starts with: its plugins and where its images come from. */
export const commonSettings = {
  plugins: pluginsSchema.optional(),
  dataset: z
    .string()
    .min(1)
    .default('fashion-mnist-small')
    .describe('A registered dataset (perturb list datasets); fashion-mnist-small is embedded, no download'),
  dataRoot: z
    .string()
    .min(1)
    .optional()
    .describe("Folder with the dataset's files. Default: the search order"),
  datasetOptions: z
    .record(z.string(), z.unknown())
    // Optional rather than `{}` by default: a resolved config without it stays as it was, so the
    // fingerprints and recorded settings of runs and VAE-GANs trained before it still match.
    .optional()
    .superRefine((options, ctx) => {
      for (const key of Object.keys(options ?? {}).filter((k) => DATA_SETTINGS.includes(k))) {
        ctx.addIssue({
          code: 'custom',
          message: `write ${key} as a setting of its own, not in datasetOptions`,
        });
      }
    })
    .describe(
      "The dataset's other options (perturb list datasets shows them), e.g. image-folder's size. Default: none",
    ),
};

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

/**
 * The top-level settings whose values differ between `recorded` and `current`, each as
 * `name old → new` (`unset` for a missing one), for an error that says what changed. Empty when
 * they agree.
 */
export function settingChanges(recorded: RawSettings, current: RawSettings): string[] {
  const shown = (value: unknown) => (value === undefined ? 'unset' : JSON.stringify(value));
  return [...new Set([...Object.keys(recorded), ...Object.keys(current)])]
    .filter((key) => !isDeepStrictEqual(recorded[key], current[key]))
    .map((key) => `${key} ${shown(recorded[key])} → ${shown(current[key])}`);
}
