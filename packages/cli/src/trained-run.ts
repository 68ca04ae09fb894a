/**
 * A trained run's folder read back: its validated config, its checkpoint, what its model was
 * built for, and the model itself with its trained weights. What `perturb eval` and
 * `perturb predict` share.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Model, PerturbError } from '@perturb/core';
import { loadCheckpoint } from '@perturb/core/node';
import * as tf from '@tensorflow/tfjs-core';
import { type TrainConfig, readConfigFile, resolveConfig } from './config';
import { loadSettingsPlugins } from './plugins';
import { buildModel, loadSplit } from './run-train';
import type { RawSettings } from './settings';
import type { ModelData } from './task-data';

/** A run folder `perturb train` (or a `perturb compare` run) wrote, read back. */
export interface TrainedRun {
  /** The config the run was trained with. */
  config: TrainConfig;
  /** Its `checkpoint.safetensors`. */
  checkpoint: string;
  /** What its result.json records of its training data; absent for runs that predate it or have not finished. */
  data?: ModelData;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new PerturbError(
      `${path} is not valid JSON (${(error as Error).message})`,
      'rerun the training that wrote it',
    );
  }
}

/**
 * The run's validated config — from its `result.json` (what a finished run used) or else the
 * `config.yaml` that `perturb compare` writes into every run folder — and its checkpoint. The
 * plugins the run loaded are loaded first.
 */
export async function readRun(run: string): Promise<TrainedRun> {
  const checkpoint = join(run, 'checkpoint.safetensors');
  if (!existsSync(checkpoint)) {
    throw new PerturbError(
      `${run} has no checkpoint (${checkpoint} is missing)`,
      'pass a folder written by perturb train (--out), after at least one epoch',
    );
  }
  const resultPath = join(run, 'result.json');
  const configPath = join(run, 'config.yaml');
  const result = existsSync(resultPath)
    ? (readJson(resultPath) as { config?: RawSettings; data?: ModelData })
    : undefined;
  const [source, settings] = result
    ? [resultPath, result.config ?? {}]
    : existsSync(configPath)
      ? [configPath, readConfigFile(configPath)]
      : [];
  if (!source || !settings) {
    throw new PerturbError(
      `${run} has neither result.json nor config.yaml to say how its model was built`,
      'use a finished perturb train run, or a run folder of perturb compare',
    );
  }
  await loadSettingsPlugins(settings, run, source);
  return {
    config: resolveConfig([settings], source),
    checkpoint,
    ...(result?.data ? { data: result.data } : {}),
  };
}

/**
 * What the run's model was built for: result.json's record, or — for a run that has none —
 * read from one image of its test split (the dataset must then be at hand, as it was for training).
 */
export async function runModelData(run: TrainedRun): Promise<ModelData> {
  return run.data ?? loadSplit(run.config, 'test', 1);
}

/** The run's model for images like `data`'s, with its trained weights, in eval mode. */
export function loadModel(run: TrainedRun, data: ModelData): Model {
  const model = buildModel(run.config, data);
  try {
    const { tensors } = loadCheckpoint(run.checkpoint, model);
    tf.dispose(Object.values(tensors));
  } catch (error) {
    model.dispose();
    throw error;
  }
  model.eval();
  return model;
}
