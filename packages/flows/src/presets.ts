/**
 * Named Glow settings from papers and their code: the model's options and the training recipe,
 * each field following the official setting named beside it. Configs lay a preset under their
 * own values (core's `withPresets`).
 */
import type { GlowOptions } from './glow';
import type { TrainFlowOptions } from './train';

/** A named setting: the Glow's options (without the image shape and seed) and `trainFlow`'s recipe. */
export interface FlowPreset {
  model: Readonly<Omit<GlowOptions, 'inputShape' | 'rng'>>;
  training: Readonly<
    Pick<
      TrainFlowOptions,
      'epochs' | 'batchSize' | 'optimizer' | 'lr' | 'warmupSteps' | 'gradClipNorm' | 'noise'
    >
  >;
}

/** Fashion-MNIST has 10 classes; the conditional presets take their one-hot labels. */
const FASHION_MNIST_CLASSES = 10;

export const FLOW_PRESETS = {
  /**
   * flow-lp's Fashion-MNIST Glow (`conf/hparams/fmnist_glow.yaml` over `conf/model/glow.yaml`
   * and `flpert/models/glow`), made class-conditional as the paper's Fashion-MNIST flow was
   * (its notebook: the one-hot label enters every coupling).
   */
  'flow-lp': {
    model: {
      architecture: 'multiscale',
      levels: 1, // num_levels: 1
      steps: 12, // num_steps: 12
      hidden: 512, // num_channels: 512
      coupling: 'affine',
      scaleForm: 'exp-tanh', // Coupling: s = scale·tanh(s), scale learned from 1
      splitPrior: 'standard', // one level: no split; flow-lp's latents are N(0, I)
      topPrior: 'standard', // the loss is a standard-normal prior
      dataSpace: 'logit', // _pre_process: logit(0.05 + 0.9·x̃)
      conditionSize: FASHION_MNIST_CLASSES, // the notebook's ConditionNode(10)
    },
    training: {
      epochs: 100, // hparams.epochs
      batchSize: 256, // dataset.batch_size
      optimizer: 'adam', // torch.optim.Adam
      lr: 1e-3, // optimizer.lr
      // WarmupLR warmup_steps: 300,000 samples, which flpert/runner.py divides by the batch size.
      warmupSteps: Math.round(300000 / 256),
      gradClipNorm: 1, // max_grad_norm
    },
  },
  /**
   * flow-lp's notebook flow (`MNIST_&_FMNIST_Normalizing_Flows_for_Data_Enriching`): FrEIA's
   * GLOW coupling blocks with fully connected subnets of width 512 and a random permutation,
   * soft clamp 2, the one-hot label in every coupling, a standard-normal prior.
   */
  'flow-lp-fc': {
    model: {
      architecture: 'fc',
      levels: 1,
      steps: 12, // build_flow(layers=12)
      hidden: 512, // subnet_fc c_hidden=512
      coupling: 'affine',
      scaleForm: 'exp-atan', // GLOWCouplingBlock clamp=2.0
      topPrior: 'standard', // 0.5·Σz² − log|det J|
      conditionSize: FASHION_MNIST_CLASSES, // ConditionNode(10)
    },
    training: {
      epochs: 100, // epochs = 100
      batchSize: 100, // BATCH_SIZE = 100
      optimizer: 'adam', // Adam(betas (0.9, 0.999), eps 1e-8)
      lr: 1e-6, // lr = 1e-6
      warmupSteps: 0, // none
      // train_flow's noise = 0.1 and prepare_inputs: x += noise·N(0, 1); x = clamp(x, 0, 1).
      noise: { kind: 'gaussian', std: 0.1 },
      // The notebook clips no gradient; trainFlow's default clip (50) is left in place.
    },
  },
} as const satisfies Record<string, FlowPreset>;

/** The name of one of {@link FLOW_PRESETS}. */
export type FlowPresetName = keyof typeof FLOW_PRESETS;
