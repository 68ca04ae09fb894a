/**
 * `trainVaeGan`: epochs of `vaeGanStep` as a configuration of core's training loop, a checkpoint
 * (model, code range, the three optimizers' state) after every epoch, and exact resume from it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type LoopEpochRecord, Rng, type RunStorage, check, runTrainingLoop } from '@perturb/core';
import { imageBatches, type ImageBatches, type VaeGanData } from './data';
import { vaeGanGridPng } from './grid';
import { type VaeGanPresetName, vaeGanPreset } from './presets';
import { PARAMETER_GROUPS, createVaeGanOptimizers, vaeGanStep, type VaeGanLosses } from './step';
import type { VaeGan, VaeGanConfig } from './vaegan';

/** Options of {@link trainVaeGan}. */
export interface TrainVaeGanOptions {
  model: VaeGan;
  /** Training images: a `Dataset` or the trainer's `TrainData` (labels ignored). */
  data: VaeGanData;
  /**
   * The recipe the options below default to: `'stutz'` (default; 60 epochs, batch 100,
   * lr 0.005·0.9^(epoch + fraction of the epoch done), weight decay 1e-4) or `'perturb-v0'` (20 epochs, batch 64, lr 1e-3,
   * no decay). See `VAEGAN_PRESETS`; the model's architecture is set when it is built.
   */
  preset?: VaeGanPresetName;
  /** Total epochs; a resumed run continues up to this number. Default: the preset's. */
  epochs?: number;
  /** Images per batch when `data` is a `Dataset`. Default: the preset's. */
  batchSize?: number;
  /** Learning rate of the three Adam optimizers in the first epoch. Default: the preset's. */
  lr?: number;
  /** Factor on the learning rate per epoch, applied smoothly step by step (see `scheduledLr`). Default: the preset's. */
  lrDecay?: number;
  /** Coupled L2 weight decay of the three Adam optimizers. Default: the preset's. */
  weightDecay?: number;
  /** Seeds batch order and every noise draw. Default 0. */
  seed?: number;
  /**
   * Where the checkpoint written after every epoch goes: `runFolder(dir)` from
   * `@perturb/core/node`, `memoryStorage()`, or your own. Default: nothing written.
   */
  storage?: RunStorage;
  /**
   * File name of the checkpoint in `storage`; the epochs' mean losses go to
   * `metrics/<fileName without extension>.jsonl` (`readMetrics(storage, path)` reads them).
   * Default `'vaegan.safetensors'`.
   */
  fileName?: string;
  /**
   * With `storage`, after every epoch `images/<fileName without extension>.png` is replaced by a
   * grid of this many training images above their reconstructions, above decodes of as many
   * codes drawn from the prior (the same codes every epoch). Default 10; 0 writes no grid.
   */
  gridImages?: number;
  /** Resume from the checkpoint in `storage` if there is one. Default true. */
  resume?: boolean;
  /**
   * Draw a progress bar on stderr, labelled with `fileName` without its extension (one line per
   * epoch when stderr is not a terminal). Default false.
   */
  progress?: boolean;
  /** Called after every step. */
  onStep?: (progress: VaeGanProgress) => void;
  /** Called after every epoch, once its checkpoint is written. */
  onEpochEnd?: (record: VaeGanEpochRecord) => void;
}

/** What `onStep` receives after each step (epochs and steps counted from 1). */
export interface VaeGanProgress {
  /** The epoch, counted from 1. */
  epoch: number;
  epochs: number;
  /** The step within the epoch, counted from 1. */
  step: number;
  stepsPerEpoch: number;
  losses: VaeGanLosses;
}

/** Mean losses of one epoch. */
export interface VaeGanEpochRecord extends LoopEpochRecord {
  losses: VaeGanLosses;
}

/** What {@link trainVaeGan} returns. */
export interface TrainVaeGanResult {
  /** Every epoch so far, including those restored from a checkpoint. */
  history: VaeGanEpochRecord[];
  /** Epochs this call ran (0 when the checkpoint was already complete). */
  epochsRun: number;
  /** Where the checkpoint is (its path in a folder), if `storage` was given. */
  checkpoint?: string;
}

/** What a VAE-GAN checkpoint's metadata holds beside the training loop's run state. */
export interface VaeGanCheckpointMeta {
  /** The model's configuration, so `loadVaeGan` can rebuild it from the file alone. */
  config: VaeGanConfig;
}

/**
 * Trains `model` with Adam on the three VAE-GAN losses (see `vaeGanStep`), in training mode.
 * After every epoch it stores the range of the training codes in the model (`setCodeRange`)
 * and, with `storage`, writes the checkpoint; a rerun resumes after the last finished epoch.
 * The model is left in evaluation mode, the mode it is used in.
 */
export async function trainVaeGan(options: TrainVaeGanOptions): Promise<TrainVaeGanResult> {
  const preset = vaeGanPreset(options.preset);
  const {
    model,
    epochs = preset.epochs,
    batchSize = preset.batchSize,
    lr = preset.lr,
    lrDecay = preset.lrDecay,
    weightDecay = preset.weightDecay,
    seed = 0,
    gridImages = 10,
  } = options;
  check(
    Number.isInteger(gridImages) && gridImages >= 0,
    `gridImages = ${gridImages} is invalid`,
    'use a whole number ≥ 0 (0 writes no grid)',
  );
  check(
    Number.isInteger(batchSize) && batchSize >= 1,
    `batchSize = ${batchSize} is invalid`,
    'use a whole number ≥ 1',
  );
  check(Number.isFinite(lr) && lr > 0, `lr = ${lr} is invalid`, 'use a finite number > 0, e.g. 0.005');
  check(
    Number.isFinite(lrDecay) && lrDecay > 0 && lrDecay <= 1,
    `lrDecay = ${lrDecay} is invalid`,
    'use a number in (0, 1], e.g. 0.9 (1 keeps the learning rate constant)',
  );
  check(
    Number.isFinite(weightDecay) && weightDecay >= 0,
    `weightDecay = ${weightDecay} is invalid`,
    'use a finite number ≥ 0, e.g. 1e-4',
  );
  const data = imageBatches(options.data, batchSize);
  const fileName = options.fileName ?? 'vaegan.safetensors';
  const modelName = fileName.replace(/\.safetensors$/, '');
  const optimizers = createVaeGanOptimizers(model, weightDecay);
  const rng = new Rng(seed);
  // The epoch's noise stream and its running sums of the losses.
  let noiseRng = rng;
  let sums = new Map<keyof VaeGanLosses, number>();
  let stepInEpoch = 0;
  model.train();
  try {
    const { history, resumedEpochs } = await runTrainingLoop<
      tf.Tensor4D,
      Omit<VaeGanEpochRecord, keyof LoopEpochRecord>
    >({
      model,
      // The three optimizers' slots, each under its parameter group's name.
      optimizer: {
        state: () =>
          Object.fromEntries(
            PARAMETER_GROUPS.flatMap((group) =>
              Object.entries(optimizers[group].state()).map(([k, v]) => [`${group}.${k}`, v]),
            ),
          ),
        loadState: (state) => {
          for (const group of PARAMETER_GROUPS) {
            optimizers[group].loadState(
              Object.fromEntries(
                Object.entries(state).flatMap(([k, v]) =>
                  k.startsWith(`${group}.`) ? [[k.slice(group.length + 1), v]] : [],
                ),
              ),
            );
          }
        },
      },
      epochs,
      stepsPerEpoch: data.batchesPerEpoch,
      fingerprint: { config: model.config, batchSize, lr, lrDecay, weightDecay, seed },
      checkpointMeta: { config: model.config } satisfies VaeGanCheckpointMeta,
      storage: options.storage,
      checkpointName: fileName,
      // Class-specific models share a folder, so each keeps its own log.
      metricsLog: `metrics/${modelName}.jsonl`,
      resume: options.resume,
      // The epoch streams keep their 0-based names, so seeds give the numbers they always gave.
      batches: (epoch) => {
        const epochRng = rng.child(`epoch-${epoch - 1}`);
        noiseRng = epochRng.child('noise');
        sums = new Map();
        stepInEpoch = 0;
        return data.images(epochRng.child('batches'));
      },
      step: (x, at) => {
        let losses: VaeGanLosses;
        try {
          losses = vaeGanStep(
            model,
            optimizers,
            x,
            noiseRng,
            scheduledLr(lr, lrDecay, at.epoch, stepInEpoch / data.batchesPerEpoch),
          );
        } finally {
          x.dispose();
        }
        for (const [k, v] of Object.entries(losses) as Array<[keyof VaeGanLosses, number]>)
          sums.set(k, (sums.get(k) ?? 0) + v);
        stepInEpoch++;
        options.onStep?.({
          epoch: at.epoch,
          epochs,
          step: stepInEpoch,
          stepsPerEpoch: data.batchesPerEpoch,
          losses,
        });
        return { loss: losses.vae, metrics: { vae: losses.vae } };
      },
      endEpoch: () => {
        // In evaluation mode, as the attack will use the model; then back to training.
        model.eval();
        const range = codeRangeOf(model, data);
        model.setCodeRange(range.min, range.max);
        if (options.storage && gridImages > 0) {
          options.storage.write(
            `images/${modelName}.png`,
            modelGridPng(model, data, gridImages, rng.child('grid')),
          );
        }
        model.train();
        const means = Object.fromEntries([...sums].map(([k, v]) => [k, v / stepInEpoch]));
        return { losses: means as unknown as VaeGanLosses };
      },
      divergenceFix: 'lower the learning rate, or check the images for NaN and that they are in [0, 1]',
      progress: options.progress ? modelName : false,
      onEpochEnd: options.onEpochEnd,
    });
    return {
      history,
      epochsRun: history.length - resumedEpochs,
      ...(options.storage ? { checkpoint: options.storage.describe(fileName) } : {}),
    };
  } finally {
    model.eval();
    for (const group of PARAMETER_GROUPS) optimizers[group].dispose();
  }
}

/** {@link vaeGanGridPng} of the first `count` images of a fixed batch of `data`. */
function modelGridPng(model: VaeGan, data: ImageBatches, count: number, rng: Rng): Uint8Array {
  let first: tf.Tensor4D | undefined;
  for (first of data.images(new Rng(0))) break;
  const shown = tf.slice(first!, [0, 0, 0, 0], [Math.min(count, first!.shape[0]), -1, -1, -1]);
  first!.dispose();
  try {
    return vaeGanGridPng(model, shown, rng);
  } finally {
    shown.dispose();
  }
}

/**
 * The learning rate of a step `fraction` ∈ [0, 1) into epoch `epoch` (from 1): lr·decay^(epoch +
 * fraction), as the official ADAMScheduler (so even the first step is decayed once).
 */
export function scheduledLr(lr: number, decay: number, epoch: number, fraction: number): number {
  return lr * decay ** (epoch + fraction);
}

/**
 * Per-dimension [min, max] of the encoder means over one pass of `data`, in the model's current
 * mode (evaluation, after `trainVaeGan`): the box the on-manifold attack keeps z + δ in (Stutz
 * et al.). `trainVaeGan` stores it in the model.
 */
export function computeCodeRange(
  model: VaeGan,
  data: VaeGanData,
  batchSize = 256,
): { min: Float32Array; max: Float32Array } {
  return codeRangeOf(model, imageBatches(data, batchSize));
}

function codeRangeOf(model: VaeGan, data: ImageBatches): { min: Float32Array; max: Float32Array } {
  const min = new Float32Array(model.latentSize).fill(Infinity);
  const max = new Float32Array(model.latentSize).fill(-Infinity);
  // Order does not matter for a range, so any fixed stream will do.
  for (const x of data.images(new Rng(0))) {
    const [low, high] = tf.tidy(() => {
      const { mean } = model.encode(x);
      return [tf.min(mean, 0).dataSync(), tf.max(mean, 0).dataSync()];
    });
    x.dispose();
    for (let d = 0; d < min.length; d++) {
      min[d] = Math.min(min[d], low[d]);
      max[d] = Math.max(max[d], high[d]);
    }
  }
  return { min, max };
}
