/**
 * `perturb train` configuration: a YAML file and/or command-line flags, validated into one
 * typed `TrainConfig` with every default filled in, so `result.json` records exactly what ran.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { PerturbError } from '@perturb/core';
import type { OptimizerConfig, ScheduleConfig } from '@perturb/optim';
import {
  type RawSettings,
  mergeLayers,
  rejectUnknownKeys,
  requirePositiveNumber,
  requireWholeNumber,
} from './settings';

/** One augmenter in a config: its registry name and its options. */
export interface AugmenterConfig {
  name: string;
  options: Record<string, unknown>;
}

/** The settings of one `perturb train` run, every default filled in. */
export interface TrainConfig {
  /** A `@perturb/datasets` name. Default `'fashion-mnist-small'` (embedded, no download). */
  dataset: string;
  /** Folder with the dataset's files. Default: the datasets package's search order. */
  dataRoot?: string;
  /** Training images, balanced over classes (first of each class in file order). Default: all. */
  trainSize?: number;
  /** Test images used for evaluation, balanced. Default: all. */
  testSize?: number;
  /** Zero-pad images to this square size (28×28 Fashion-MNIST → 32×32). Default 32. */
  padTo: number;
  /** A `@perturb/classifiers` name. Default `'resnet20'`. */
  model: string;
  /** Applied in order at every step. Default none. */
  augmenters: AugmenterConfig[];
  /** Default SGD, Nesterov momentum 0.9, weight decay 5e-4. */
  optimizer: OptimizerConfig;
  /** Peak learning rate. Default 0.1. */
  lr: number;
  /** Default one-cycle. */
  schedule: ScheduleConfig;
  /** Linear warm-up steps (not with one-cycle). Default 0. */
  warmupSteps: number;
  /** Default 128. */
  batchSize: number;
  /** Passes over the training set. Default 30 unless `steps` is set; a config has one of the two. */
  epochs?: number;
  /**
   * Total optimizer steps instead of `epochs`, so that runs on training sets of different sizes
   * get the same budget (the last epoch is cut short; the schedule spans exactly these steps).
   * Default: not set.
   */
  steps?: number;
  /** Default 0. */
  seed: number;
  /** Evaluate on the test set every this many epochs; 0 evaluates only at the end. Default 0. */
  evalEvery: number;
  /** Output folder for checkpoint, metrics, diagnostics and `result.json`. Default `runs/train`. */
  out: string;
}

/** Every default of `TrainConfig`. */
export const DEFAULT_CONFIG: TrainConfig = {
  dataset: 'fashion-mnist-small',
  padTo: 32,
  model: 'resnet20',
  augmenters: [],
  optimizer: { name: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
  lr: 0.1,
  schedule: { name: 'onecycle' },
  warmupSteps: 0,
  batchSize: 128,
  epochs: 30,
  seed: 0,
  evalEvery: 0,
  out: 'runs/train',
};

const KEYS = Object.keys(DEFAULT_CONFIG).concat(['steps', 'dataRoot', 'trainSize', 'testSize']);

/** Reads a YAML config file into a plain object, naming the file in every error. */
export function readConfigFile(path: string): RawSettings {
  if (!existsSync(path)) {
    throw new PerturbError(`config file ${path} does not exist`, 'check the path given to --config');
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new PerturbError(
      `config file ${path} is not valid YAML (${(error as Error).message.split('\n')[0]})`,
      'fix the YAML syntax',
    );
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new PerturbError(
      `config file ${path} is not a mapping of keys to values`,
      'write it as `key: value` lines',
    );
  }
  return parsed as RawSettings;
}

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
 * result. `epochs` and `steps` are two ways of saying how long to train: one layer may set only
 * one of them, and a later layer's choice replaces an earlier layer's other one. `source` names
 * where the settings came from in errors.
 */
export function resolveConfig(layers: RawSettings[], source = 'the config'): TrainConfig {
  const raw = mergeTrainSettings(layers, source);
  rejectUnknownKeys(raw, KEYS, source);
  const config = { ...DEFAULT_CONFIG, ...raw } as TrainConfig & { augmenters: unknown };
  // A step budget replaces the default epochs; deleting (not overriding) keeps fingerprints of
  // epoch-based configs as they were.
  if (config.steps !== undefined) delete config.epochs;
  for (const key of ['epochs', 'steps', 'batchSize', 'padTo', 'trainSize', 'testSize'])
    requireWholeNumber(config, key, 1, source);
  for (const key of ['seed', 'evalEvery', 'warmupSteps']) requireWholeNumber(config, key, 0, source);
  requirePositiveNumber(config, 'lr', source, ', e.g. 0.1');
  for (const key of ['dataset', 'model', 'out'] as const) {
    if (typeof config[key] !== 'string' || config[key] === '') {
      throw new PerturbError(
        `"${key}" is ${JSON.stringify(config[key])} in ${source}`,
        'use a non-empty string',
      );
    }
  }
  config.augmenters = parseAugmenters(config.augmenters, source);
  return config;
}

/**
 * Accepts `[name, ...]`, `[{ name: options }, ...]`, `[{ name, options }, ...]` and
 * `[{ name, ...options }, ...]`, and a comma-separated string (from `--augment`).
 */
export function parseAugmenters(value: unknown, source: string): AugmenterConfig[] {
  const items =
    typeof value === 'string'
      ? value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : value;
  if (!Array.isArray(items)) {
    throw new PerturbError(
      `"augmenters" in ${source} is not a list`,
      'write it as a YAML list, e.g. [randomCrop, horizontalFlip]',
    );
  }
  return items.map((item): AugmenterConfig => {
    if (typeof item === 'string') return { name: item, options: {} };
    if (item && typeof item === 'object' && !Array.isArray(item)) {
      const entries = Object.entries(item as Record<string, unknown>);
      if ('name' in item && typeof (item as { name: unknown }).name === 'string') {
        const { name, ...rest } = item as { name: string; options?: unknown };
        // `{ name, options }`, the entry format of core's registry (and of combinators' children).
        const { options } = rest;
        const nested = Object.keys(rest).length === 1 && options !== null && typeof options === 'object';
        return { name, options: nested ? (options as Record<string, unknown>) : rest };
      }
      if (entries.length === 1 && (entries[0][1] === null || typeof entries[0][1] === 'object')) {
        return { name: entries[0][0], options: (entries[0][1] ?? {}) as Record<string, unknown> };
      }
    }
    throw new PerturbError(
      `augmenter ${JSON.stringify(item)} in ${source} is not understood`,
      'write a name (randomCrop) or a name with options ({ randomCrop: { padding: 4 } })',
    );
  });
}

/** A short hash of everything that changes the run's numbers (not the output folder). */
export function configFingerprint(config: TrainConfig): string {
  const { out: _out, ...rest } = config;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex').slice(0, 16);
}
