/**
 * `perturb train-vaegan` configuration: the data, the architecture of every class-specific
 * VAE-GAN and the training recipe (what `trainClassSpecific` takes).
 */
import { PerturbError } from '@perturb/core';
import { STUTZ_BETA, resolveVaeGanConfig } from '@perturb/vaegan';
import {
  type RawSettings,
  mergeLayers,
  rejectUnknownKeys,
  requireNonNegativeNumber,
  requirePositiveNumber,
  requireWholeNumber,
} from './settings';

/** The settings of one `perturb train-vaegan` run, every default filled in. */
export interface TrainVaeGanConfig {
  /** A `@perturb/datasets` name. Default `'fashion-mnist-small'`. */
  dataset: string;
  /** Folder with the dataset's files. Default: the datasets package's search order. */
  dataRoot?: string;
  /** Training images, balanced over classes; each class's model sees its own. Default: all. */
  trainSize?: number;
  /** Zero-pad images to this square size; it must match the classifiers' input. Default 32. */
  padTo: number;
  /** Size of each model's code. Default 10 (Stutz et al.). */
  latentSize: number;
  /** Channels of each stride-2 stage; `padTo` must be divisible by 2^widths.length. Default [32, 64]. */
  widths: number[];
  /** KL weight of the class-specific models. Default 2.75 (Stutz et al.). */
  beta: number;
  /** Weight of the reconstruction term in the decoder's loss. Default 1. */
  gamma: number;
  /** Also train `agnostic.safetensors` on all classes. Default false. */
  classAgnostic: boolean;
  /** KL weight of the class-agnostic model. Default 3 (Stutz et al.). */
  agnosticBeta: number;
  /** Epochs of every model. Default 20. */
  epochs: number;
  /** Default 64. */
  batchSize: number;
  /** Learning rate of the three Adam optimizers. Default 1e-3. */
  lr: number;
  /** Default 0. */
  seed: number;
  /** Folder of `class-<k>.safetensors` and `result.json`. Default `runs/vaegan`. */
  out: string;
}

/** Every default of `TrainVaeGanConfig`. */
export const DEFAULT_VAEGAN_CONFIG: TrainVaeGanConfig = {
  dataset: 'fashion-mnist-small',
  padTo: 32,
  latentSize: 10,
  widths: [32, 64],
  beta: STUTZ_BETA.classSpecific,
  gamma: 1,
  classAgnostic: false,
  agnosticBeta: STUTZ_BETA.classAgnostic,
  epochs: 20,
  batchSize: 64,
  lr: 1e-3,
  seed: 0,
  out: 'runs/vaegan',
};

/** Merges layers of raw settings over the defaults and validates them. */
export function resolveVaeGanTrainingConfig(
  layers: RawSettings[],
  source = 'the VAE-GAN config',
): TrainVaeGanConfig {
  const raw = mergeLayers(layers);
  rejectUnknownKeys(raw, [...Object.keys(DEFAULT_VAEGAN_CONFIG), 'dataRoot', 'trainSize'], source);
  const config = { ...DEFAULT_VAEGAN_CONFIG, ...raw } as TrainVaeGanConfig;
  for (const key of ['padTo', 'epochs', 'batchSize', 'trainSize']) requireWholeNumber(config, key, 1, source);
  requireWholeNumber(config, 'seed', 0, source);
  requirePositiveNumber(config, 'lr', source, ', e.g. 0.001');
  requireNonNegativeNumber(config, 'agnosticBeta', source, ', e.g. 3');
  if (typeof config.classAgnostic !== 'boolean') {
    throw new PerturbError(
      `"classAgnostic" is ${JSON.stringify(config.classAgnostic)} in ${source}`,
      'use true or false',
    );
  }
  // The architecture is checked by the package that builds it; the channel count does not
  // enter those checks, so one channel stands in for the dataset's.
  const { padTo, latentSize, widths, beta, gamma } = config;
  resolveVaeGanConfig({ imageShape: [padTo, padTo, 1], latentSize, widths, beta, gamma });
  return config;
}
