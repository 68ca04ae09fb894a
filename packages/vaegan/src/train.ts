/**
 * `trainVaeGan`: epochs of `vaeGanStep`, a checkpoint (model, code range, the three optimizers'
 * state) after every epoch, and exact resume from it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { PerturbError, Rng, check, loadCheckpoint, saveCheckpoint } from '@perturb/core';
import { imageBatches, type ImageBatches, type VaeGanData } from './data';
import {
  PARAMETER_GROUPS,
  createVaeGanOptimizers,
  vaeGanStep,
  type VaeGanLosses,
  type VaeGanOptimizers,
} from './step';
import type { VaeGan, VaeGanConfig } from './vaegan';

/** Options of {@link trainVaeGan}. */
export interface TrainVaeGanOptions {
  model: VaeGan;
  /** Training images: a `Dataset` or the trainer's `TrainData` (labels ignored). */
  data: VaeGanData;
  /** Total epochs; a resumed run continues up to this number. */
  epochs: number;
  /** Images per batch when `data` is a `Dataset`. Default 64. */
  batchSize?: number;
  /** Learning rate of the three Adam optimizers. Default 1e-3. */
  lr?: number;
  /** Seeds batch order and every noise draw. Default 0. */
  seed?: number;
  /** Folder of the checkpoint written after every epoch. Default: nothing written. */
  outDir?: string;
  /** File name of the checkpoint in `outDir`. Default `'vaegan.safetensors'`. */
  fileName?: string;
  /** Resume from the checkpoint in `outDir` if there is one. Default true. */
  resume?: boolean;
  /** Called after every step. */
  onProgress?: (progress: VaeGanProgress) => void;
}

/** What `onProgress` receives after each step. */
export interface VaeGanProgress {
  /** 1-based epoch. */
  epoch: number;
  epochs: number;
  /** 1-based step within the epoch. */
  step: number;
  stepsPerEpoch: number;
  losses: VaeGanLosses;
}

/** Mean losses of one epoch. */
export interface VaeGanEpochRecord {
  epoch: number;
  losses: VaeGanLosses;
  seconds: number;
}

/** What {@link trainVaeGan} returns. */
export interface TrainVaeGanResult {
  /** Every epoch so far, including those restored from a checkpoint. */
  history: VaeGanEpochRecord[];
  /** Epochs this call ran (0 when the checkpoint was already complete). */
  epochsRun: number;
  /** The checkpoint path, if `outDir` was given. */
  checkpoint?: string;
}

/** Run state stored in the checkpoint's metadata. */
export interface VaeGanCheckpointMeta {
  epoch: number;
  config: VaeGanConfig;
  /** The settings a resumed run must share with the run that wrote the checkpoint. */
  fingerprint: string;
  history: VaeGanEpochRecord[];
}

const OPTIMIZER_PREFIX = 'optimizer.';

/**
 * Trains `model` with Adam on the three VAE-GAN losses (see `vaeGanStep`). After every epoch it
 * stores the range of the training codes in the model (`setCodeRange`) and, with `outDir`,
 * writes the checkpoint; a rerun resumes after the last finished epoch.
 */
export async function trainVaeGan(options: TrainVaeGanOptions): Promise<TrainVaeGanResult> {
  const { model, epochs, batchSize = 64, lr = 1e-3, seed = 0, onProgress } = options;
  check(Number.isInteger(epochs) && epochs >= 1, `epochs = ${epochs} is invalid`, 'use a whole number ≥ 1');
  check(
    Number.isInteger(batchSize) && batchSize >= 1,
    `batchSize = ${batchSize} is invalid`,
    'use a whole number ≥ 1',
  );
  check(Number.isFinite(lr) && lr > 0, `lr = ${lr} is invalid`, 'use a finite number > 0, e.g. 1e-3');
  const data = imageBatches(options.data, batchSize);
  const fingerprint = JSON.stringify({ config: model.config, batchSize, lr, seed });
  const path = options.outDir ? join(options.outDir, options.fileName ?? 'vaegan.safetensors') : undefined;
  const optimizers = createVaeGanOptimizers(model);
  try {
    const history =
      path && (options.resume ?? true) && existsSync(path)
        ? restore(path, model, optimizers, fingerprint)
        : [];
    const resumed = history.length;
    const rng = new Rng(seed);
    for (let epoch = resumed; epoch < epochs; epoch++) {
      const started = Date.now();
      const epochRng = rng.child(`epoch-${epoch}`);
      const batchRng = epochRng.child('batches');
      const noiseRng = epochRng.child('noise');
      const sums = new Map<keyof VaeGanLosses, number>();
      let step = 0;
      for (const x of data.images(batchRng)) {
        let losses: VaeGanLosses;
        try {
          losses = vaeGanStep(model, optimizers, x, noiseRng, lr);
        } finally {
          x.dispose();
        }
        for (const [k, v] of Object.entries(losses) as Array<[keyof VaeGanLosses, number]>)
          sums.set(k, (sums.get(k) ?? 0) + v);
        step++;
        onProgress?.({ epoch: epoch + 1, epochs, step, stepsPerEpoch: data.batchesPerEpoch, losses });
      }
      const means = Object.fromEntries([...sums].map(([k, v]) => [k, v / step])) as unknown as VaeGanLosses;
      history.push({ epoch: epoch + 1, losses: means, seconds: (Date.now() - started) / 1000 });
      const range = codeRangeOf(model, data);
      model.setCodeRange(range.min, range.max);
      if (path) {
        const state = Object.fromEntries(
          PARAMETER_GROUPS.flatMap((group) =>
            Object.entries(optimizers[group].state()).map(([k, v]) => [
              `${OPTIMIZER_PREFIX}${group}.${k}`,
              v,
            ]),
          ),
        );
        saveCheckpoint<VaeGanCheckpointMeta>(
          path,
          model,
          { epoch: epoch + 1, config: model.config, fingerprint, history },
          state,
        );
      }
    }
    return { history, epochsRun: epochs - Math.min(resumed, epochs), ...(path ? { checkpoint: path } : {}) };
  } finally {
    for (const group of PARAMETER_GROUPS) optimizers[group].dispose();
  }
}

/** Loads a checkpoint into `model` and `optimizers`; returns its history. */
function restore(
  path: string,
  model: VaeGan,
  optimizers: VaeGanOptimizers,
  fingerprint: string,
): VaeGanEpochRecord[] {
  const { tensors, meta } = loadCheckpoint<VaeGanCheckpointMeta>(path, model);
  try {
    if (meta.fingerprint !== fingerprint) {
      throw new PerturbError(
        `${path} was written by a run with other settings (${meta.fingerprint})`,
        'use another output folder, or delete the file to train from scratch',
      );
    }
    for (const group of PARAMETER_GROUPS) {
      const prefix = `${OPTIMIZER_PREFIX}${group}.`;
      optimizers[group].loadState(
        Object.fromEntries(
          Object.entries(tensors).flatMap(([k, v]) =>
            k.startsWith(prefix) ? [[k.slice(prefix.length), v]] : [],
          ),
        ),
      );
    }
    return meta.history;
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

/**
 * Per-dimension [min, max] of the encoder means over one pass of `data`: the box the
 * on-manifold attack keeps z + δ in (Stutz et al.). `trainVaeGan` stores it in the model.
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
