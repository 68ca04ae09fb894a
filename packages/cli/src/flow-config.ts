/** `perturb train-flow` configuration: data, the Glow's shape and the training recipe. */
import { PerturbError } from '@perturb/core';
import {
  type RawSettings,
  mergeLayers,
  rejectUnknownKeys,
  requireNonNegativeNumber,
  requirePositiveNumber,
  requireWholeNumber,
} from './settings';

/** The settings of one `perturb train-flow` run, every default filled in. */
export interface TrainFlowConfig {
  /** A `@perturb/datasets` name. Default `'fashion-mnist-small'`. */
  dataset: string;
  /** Folder with the dataset's files. Default: the datasets package's search order. */
  dataRoot?: string;
  /** Training images, balanced over classes. Default: all. */
  trainSize?: number;
  /** Test images for test bits/dim, balanced. Default: all. */
  testSize?: number;
  /** Default 32. */
  padTo: number;
  /** Glow levels L. Default 3. */
  levels: number;
  /** Flow steps K per level. Default 8. */
  steps: number;
  /** Hidden width of the coupling networks. Default 128. */
  hidden: number;
  /** Default `'affine'`. */
  coupling: 'affine' | 'additive';
  /**
   * Scale of the affine coupling: `'sigmoid'` (OpenAI Glow's sigmoid(h + 2)) or `'exp-tanh'`
   * (flow-lp's exp(c·tanh h), bounded by a learned c). Default `'sigmoid'`.
   */
  scaleForm: 'sigmoid' | 'exp-tanh';
  /** Prior of split-off latents: `'learned'` or `'standard'` (flow-lp's no split prior). Default `'learned'`. */
  splitPrior: 'learned' | 'standard';
  /** Default 5. */
  epochs: number;
  /** Default 64. */
  batchSize: number;
  /** `'adam'` or `'adamax'`. Default `'adam'`. */
  optimizer: 'adam' | 'adamax';
  /** Peak learning rate. Default 1e-3. */
  lr: number;
  /** Linear learning-rate warm-up steps. Default 200. */
  warmupSteps: number;
  /** Coupled L2 weight decay: `weightDecay · θ` is added to every (clipped) gradient. Default 0. */
  weightDecay: number;
  /** Gradients are scaled down to this global L2 norm when larger. Default 50. */
  gradClipNorm: number;
  /** Default 0. */
  seed: number;
  /** Default `runs/flow`. */
  out: string;
}

/** Every default of `TrainFlowConfig`. */
export const DEFAULT_FLOW_CONFIG: TrainFlowConfig = {
  dataset: 'fashion-mnist-small',
  padTo: 32,
  levels: 3,
  steps: 8,
  hidden: 128,
  coupling: 'affine',
  scaleForm: 'sigmoid',
  splitPrior: 'learned',
  epochs: 5,
  batchSize: 64,
  optimizer: 'adam',
  lr: 1e-3,
  warmupSteps: 200,
  weightDecay: 0,
  gradClipNorm: 50,
  seed: 0,
  out: 'runs/flow',
};

const INTEGER_KEYS = [
  'padTo',
  'levels',
  'steps',
  'hidden',
  'epochs',
  'batchSize',
  'warmupSteps',
  'seed',
  'trainSize',
  'testSize',
] as const;
const CHOICES: Partial<Record<keyof TrainFlowConfig, readonly string[]>> = {
  coupling: ['affine', 'additive'],
  scaleForm: ['sigmoid', 'exp-tanh'],
  splitPrior: ['learned', 'standard'],
  optimizer: ['adam', 'adamax'],
};

/** Merges layers of raw settings over the defaults and validates them. */
export function resolveFlowConfig(layers: RawSettings[], source = 'the flow config'): TrainFlowConfig {
  const raw = mergeLayers(layers);
  rejectUnknownKeys(raw, [...Object.keys(DEFAULT_FLOW_CONFIG), 'dataRoot', 'trainSize', 'testSize'], source);
  const config = { ...DEFAULT_FLOW_CONFIG, ...raw } as TrainFlowConfig;
  for (const key of INTEGER_KEYS) {
    requireWholeNumber(config, key, key === 'seed' || key === 'warmupSteps' ? 0 : 1, source);
  }
  for (const key of ['lr', 'gradClipNorm'] as const) requirePositiveNumber(config, key, source);
  requireNonNegativeNumber(config, 'weightDecay', source, ', e.g. 5e-5');
  for (const [key, allowed] of Object.entries(CHOICES)) {
    const v = config[key as keyof TrainFlowConfig];
    if (!allowed!.includes(v as string)) {
      throw new PerturbError(
        `"${key}" is ${JSON.stringify(v)} in ${source}`,
        `use one of ${allowed!.join(', ')}`,
      );
    }
  }
  return config;
}
