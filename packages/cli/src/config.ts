/**
 * `perturb train` configuration: a YAML file and/or command-line flags, validated into one
 * typed `TrainConfig` with every default filled in, so `result.json` records exactly what ran.
 */
import { createHash } from 'node:crypto';
import { PerturbError, models, parseOptions, z } from '@perturb/core';
import { checkAugmenterEntries } from './augmenter-check';
import './builtins';
import { optimizerSchema, scheduleSchema } from '@perturb/optim';
import { type RawSettings, commonSettings, mergeLayers } from './settings';

export { readConfigFile } from './config-file';

/** One augmenter in a config: its registry name and its options. */
export interface AugmenterConfig {
  name: string;
  options: Record<string, unknown>;
}

/**
 * An augmenter entry as a config writes it — a name (`randomCrop`), a name with options
 * (`{ randomCrop: { padding: 2 } }`) or `{ name, ...options }` — as `{ name, options }`. Its
 * options are checked by the augmenter's own schema (see `checkAugmenterEntries`).
 */
export const augmenterEntrySchema = z.unknown().transform((item, ctx): AugmenterConfig => {
  const entry = toAugmenterConfig(item);
  if (entry) return entry;
  ctx.addIssue({
    code: 'custom',
    input: item,
    message: 'write a name (randomCrop) or a name with options ({ randomCrop: { padding: 4 } })',
  });
  return z.NEVER;
});

const isMapping = (value: unknown): boolean =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function toAugmenterConfig(item: unknown): AugmenterConfig | null {
  if (typeof item === 'string' && item !== '') return { name: item, options: {} };
  if (!item || typeof item !== 'object' || Array.isArray(item)) return null;
  if ('name' in item && typeof item.name === 'string') {
    const { name, ...rest } = item as { name: string; options?: unknown };
    // `{ name, options }` is core's entry format (combinators' children are written so too).
    const nested = Object.keys(rest).length === 1 && isMapping(rest.options);
    return { name, options: nested ? (rest.options as Record<string, unknown>) : rest };
  }
  const entries = Object.entries(item);
  const [name, options] = entries[0] ?? [];
  if (entries.length !== 1 || !(options === null || (typeof options === 'object' && !Array.isArray(options))))
    return null;
  return { name: name!, options: (options ?? {}) as Record<string, unknown> };
}

/** The settings of one `perturb train` run. */
export const trainConfigSchema = z.strictObject({
  ...commonSettings,
  trainSize: z.int().min(1).optional().describe('Training images, balanced over classes. Default: all'),
  testSize: z.int().min(1).optional().describe('Test images used for evaluation, balanced. Default: all'),
  padTo: z.int().min(1).default(32).describe('Zero-pad images to this square size (28×28 → 32×32)'),
  model: z.string().min(1).default('resnet20').describe('A registered model (perturb list models)'),
  modelOptions: z
    .record(z.string(), z.unknown())
    .default({})
    .describe("The model's options (perturb list models shows them), e.g. deeplabv3plus's backbone"),
  augmenters: z
    .array(augmenterEntrySchema)
    .default([])
    .describe('Applied in order at every step (perturb list augmenters)'),
  optimizer: optimizerSchema
    .prefault({ name: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 5e-4 })
    .describe('Default SGD, Nesterov momentum 0.9, weight decay 5e-4'),
  lr: z.number().positive().default(0.1).describe('Peak learning rate'),
  schedule: scheduleSchema.prefault({ name: 'onecycle' }).describe('Learning-rate schedule'),
  warmupSteps: z.int().min(0).default(0).describe('Linear warm-up steps (not with onecycle)'),
  batchSize: z.int().min(1).default(128),
  epochs: z
    .int()
    .min(1)
    .optional()
    .describe('Passes over the training set. Default 30 unless steps is set; set one of the two'),
  steps: z
    .int()
    .min(1)
    .optional()
    .describe('Total optimizer steps instead of epochs (the last epoch is cut short)'),
  seed: z.int().min(0).default(0),
  evalEvery: z.int().min(0).default(0).describe('Evaluate every this many epochs; 0: only at the end'),
  out: z
    .string()
    .min(1)
    .default('runs/train')
    .describe('Output folder of checkpoint, metrics and result.json'),
});

/** The settings of one `perturb train` run, every default filled in. */
export type TrainConfig = z.output<typeof trainConfigSchema>;

/** Epochs of a config that sets neither `epochs` nor `steps`. */
const DEFAULT_EPOCHS = 30;

/**
 * Merges layers of raw settings, later ones winning. `epochs` and `steps` are two ways of saying
 * how long to train: one layer may set only one of them, and a later layer's choice replaces an
 * earlier layer's other one (a method's `steps` over the base's `epochs`, a flag over the file).
 */
export function mergeTrainSettings(layers: RawSettings[], source = 'the config'): RawSettings {
  let merged: RawSettings = {};
  for (const layer of layers) {
    const sets = (key: string) => layer[key] !== undefined;
    if (sets('epochs') && sets('steps')) {
      throw new PerturbError(
        `"epochs" and "steps" are both set in ${source}`,
        'keep one of them: epochs counts passes over the training set, steps counts optimizer steps',
      );
    }
    if (sets('epochs')) delete merged.steps;
    if (sets('steps')) delete merged.epochs;
    merged = mergeLayers([merged, layer]);
  }
  return merged;
}

/**
 * Merges layers of raw settings over the defaults, later layers winning, and validates the
 * result against {@link trainConfigSchema}, the model's name and the augmenters' options.
 * `epochs` and `steps` are two ways of saying how long to train: one layer may set only one of
 * them, and a later layer's choice replaces an earlier layer's other one. `source` names where
 * the settings came from in errors.
 */
export function resolveConfig(layers: RawSettings[], source = 'the config'): TrainConfig {
  const config = parseOptions(trainConfigSchema, mergeTrainSettings(layers, source), source);
  if (config.steps === undefined) config.epochs ??= DEFAULT_EPOCHS;
  parseOptions(
    models.get(config.model).schema,
    config.modelOptions,
    `${source}: modelOptions of ${config.model}`,
  );
  checkAugmenterEntries(config.augmenters, source);
  return config;
}

/** Every default of `TrainConfig`. */
export const DEFAULT_CONFIG: TrainConfig = {
  ...parseOptions(trainConfigSchema, {}, 'the defaults'),
  epochs: DEFAULT_EPOCHS,
};

/** Reads one augmenter entry as a config writes it (what `--attack` takes). */
export function parseAugmenterEntry(item: unknown, source: string): AugmenterConfig {
  return parseOptions(augmenterEntrySchema, item, source);
}

/** A short hash of everything that changes the run's numbers (not the output folder). */
export function configFingerprint(config: TrainConfig): string {
  // Where the run writes and which files registered its parts do not change its numbers.
  const { out: _out, plugins: _plugins, ...rest } = config;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex').slice(0, 16);
}
