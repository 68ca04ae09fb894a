/**
 * Named VAE-GAN recipes: the architecture and training settings a preset fixes, so a run can
 * say which published setting it follows. `stutz` is the default; `perturb-v0` keeps what
 * perturb trained before it followed Stutz et al.'s recipe, so older configs can opt back.
 */
import { PerturbError } from '@perturb/core';
import type { ReconstructionKind } from './losses';

/** What a preset fixes. Every field can still be overridden one by one. */
export interface VaeGanPreset {
  /** Channels of each stride-2 stage of the encoder and discriminator. */
  widths: number[];
  /** The reconstruction error of the VAE-GAN losses. */
  reconstruction: ReconstructionKind;
  /** BatchNorm after every hidden convolution of the three networks. */
  batchNorm: boolean;
  /** Epochs of every model. */
  epochs: number;
  /** Images per batch. */
  batchSize: number;
  /** Base learning rate of the three Adam optimizers. */
  lr: number;
  /** Decay of the learning rate per epoch: a step a fraction f into epoch e (from 1) uses lr · lrDecay^(e + f). */
  lrDecay: number;
  /** Coupled L2 weight decay of the three Adam optimizers (PyTorch's `weight_decay`). */
  weightDecay: number;
}

/** The names of {@link VAEGAN_PRESETS}. */
export const VAEGAN_PRESET_NAMES = ['stutz', 'perturb-v0'] as const;
/** One of {@link VAEGAN_PRESET_NAMES}. */
export type VaeGanPresetName = (typeof VAEGAN_PRESET_NAMES)[number];

/** The preset used when none is named. */
export const DEFAULT_VAEGAN_PRESET: VaeGanPresetName = 'stutz';

/**
 * `stutz`: the official `experiments/*\/learn_manifolds.py` (base_lr 0.005, base_lr_decay 0.9,
 * weight_decay 1e-4, batch_size 100, absolute_error, 60 epochs, network_channels 64, doubled
 * per stage, BatchNorm on, as train_vae_gan2.py's default). `perturb-v0`: perturb's settings before this preset existed.
 */
export const VAEGAN_PRESETS: Readonly<Record<VaeGanPresetName, Readonly<VaeGanPreset>>> = {
  stutz: {
    widths: [64, 128],
    reconstruction: 'absolute',
    batchNorm: true,
    epochs: 60,
    batchSize: 100,
    lr: 0.005,
    lrDecay: 0.9,
    weightDecay: 1e-4,
  },
  'perturb-v0': {
    widths: [32, 64],
    reconstruction: 'squared',
    batchNorm: false,
    epochs: 20,
    batchSize: 64,
    lr: 1e-3,
    lrDecay: 1,
    weightDecay: 0,
  },
};

/** The preset called `name`; a `PerturbError` names the known ones otherwise. */
export function vaeGanPreset(name: string = DEFAULT_VAEGAN_PRESET): VaeGanPreset {
  if (!(VAEGAN_PRESET_NAMES as readonly string[]).includes(name)) {
    throw new PerturbError(
      `there is no VAE-GAN preset "${name}"`,
      `use one of ${VAEGAN_PRESET_NAMES.map((n) => `"${n}"`).join(', ')}`,
    );
  }
  const preset = VAEGAN_PRESETS[name as VaeGanPresetName];
  return { ...preset, widths: [...preset.widths] };
}
