/** What one low-data experiment runs: its data, models, methods and budget, every field defaulted. */
import { BACKEND_ORDER, type BackendName, check } from '@perturb/core';

/** The methods compared. Every one trains with crop + flip; the last two add their perturbation. */
export const METHODS = ['baseline', 'la-glow-adversarial', 'a-fan'] as const;
export type Method = (typeof METHODS)[number];

/**
 * `'auto'` uses the real Fashion-MNIST when its files are found without a download (Debian's
 * `dataset-fashion-mnist`, `$PERTURB_DATA`, the cache), else the subset shipped in
 * `@perturb/datasets`.
 */
export const DATASET_CHOICES = ['auto', 'fashion-mnist', 'fashion-mnist-small'] as const;
export type DatasetChoice = (typeof DATASET_CHOICES)[number];

/** The Glow that LA-Glow perturbs through. */
export interface FlowOptions {
  /** Levels L. Default 2. */
  levels: number;
  /** Flow steps K per level. Default 4. */
  steps: number;
  /** Hidden channels of the coupling networks. Default 32. */
  hidden: number;
  /** Epochs of maximum-likelihood training on the training subset. Default 4. */
  epochs: number;
  /** Default 64. */
  batchSize: number;
}

export interface LowDataOptions {
  /** Output folder: report, results.json, checkpoints. Default `runs/fashion-mnist-low-data`. */
  out: string;
  /** Default `'auto'`. */
  dataset: DatasetChoice;
  /** Training images, balanced over classes, drawn with LA-Glow's split seed 9999. Default 500. */
  trainSize: number;
  /** Test images, balanced over classes (the first of each class). Default 1000. */
  testSize: number;
  /** A `@perturb/classifiers` name. Default `'resnet20'`. */
  model: string;
  /** Feature site A-FAN attacks. Default `'stage1'` (end of ResNet-20's first stage, the paper's site). */
  afanSite: string;
  /** Default 8. */
  epochs: number;
  /** Default 64. */
  batchSize: number;
  /** Peak learning rate of the one-cycle SGD schedule. Default 0.05. */
  lr: number;
  /** One classifier per method and seed; the seed also fixes the model's initial weights. Default [0]. */
  seeds: number[];
  /** Default all of {@link METHODS}. */
  methods: Method[];
  flow: FlowOptions;
  /** Backend to force. Default: the fastest that starts (`PERTURB_BACKEND` also forces one). */
  backend?: BackendName;
  /** Progress bars on stderr. Default true. */
  progress: boolean;
}

/** Sized to finish in under ten minutes on two cores (wasm). */
export const DEFAULT_OPTIONS: LowDataOptions = {
  out: 'runs/fashion-mnist-low-data',
  dataset: 'auto',
  trainSize: 500,
  testSize: 1000,
  model: 'resnet20',
  afanSite: 'stage1',
  epochs: 8,
  batchSize: 64,
  lr: 0.05,
  seeds: [0],
  methods: [...METHODS],
  flow: { levels: 2, steps: 4, hidden: 32, epochs: 4, batchSize: 64 },
  progress: true,
};

/** Options with a partial `flow`, as callers and flags give them. */
export type LowDataOverrides = Partial<Omit<LowDataOptions, 'flow'>> & { flow?: Partial<FlowOptions> };

/** Fills in the defaults and validates; every bad value is a `PerturbError`. */
export function resolveOptions(overrides: LowDataOverrides = {}): LowDataOptions {
  const options: LowDataOptions = {
    ...DEFAULT_OPTIONS,
    ...definedOnly(overrides),
    flow: { ...DEFAULT_OPTIONS.flow, ...definedOnly(overrides.flow ?? {}) },
  };
  const wholeNumbers: Array<[string, number]> = [
    ['trainSize', options.trainSize],
    ['testSize', options.testSize],
    ['epochs', options.epochs],
    ['batchSize', options.batchSize],
    ...Object.entries(options.flow).map(([k, v]): [string, number] => [`flow ${k}`, v]),
  ];
  for (const [name, value] of wholeNumbers) {
    check(Number.isInteger(value) && value >= 1, `${name} is ${value}`, 'use a whole number ≥ 1');
  }
  check(options.lr > 0 && Number.isFinite(options.lr), `lr is ${options.lr}`, 'use a number > 0, e.g. 0.05');
  check(
    options.seeds.length > 0 && options.seeds.every((s) => Number.isInteger(s) && s >= 0),
    `seeds are ${JSON.stringify(options.seeds)}`,
    'give one or more whole numbers ≥ 0, e.g. 0,1,2',
  );
  check(
    options.methods.length > 0 && options.methods.every((m) => METHODS.includes(m)),
    `methods are ${JSON.stringify(options.methods)}`,
    `choose from ${METHODS.join(', ')}`,
  );
  check(
    options.methods.includes('baseline'),
    'the methods leave out the baseline the report compares with',
    'add baseline to the methods',
  );
  check(
    DATASET_CHOICES.includes(options.dataset),
    `dataset is "${options.dataset}"`,
    `use one of ${DATASET_CHOICES.join(', ')}`,
  );
  check(
    options.backend === undefined || BACKEND_ORDER.includes(options.backend),
    `backend is "${options.backend}"`,
    `use one of ${BACKEND_ORDER.join(', ')}, or leave it out to choose automatically`,
  );
  check(options.out !== '', 'the output folder is empty', 'give a folder, e.g. runs/fashion-mnist-low-data');
  return options;
}

function definedOnly<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}
