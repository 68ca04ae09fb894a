/** `perturb train`: one classifier training run from a validated config. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  type Classifier,
  activeBackend,
  initBackend,
  models,
  parseOptions,
  PerturbError,
  readCheckpoint,
  Rng,
  withRunLock,
  writeFileAtomic,
} from '@perturb/core';
import { type Dataset, batchCount, batches, loadDataset, stratifiedSubset } from '@perturb/datasets';
import { train, type EvalResult, type EpochRecord } from '@perturb/trainer';
import { buildConfiguredAugmenters } from './augmenter-check';
import { TrainedModels } from './augmenter-registry';
import { configFingerprint, type TrainConfig } from './config';
import { type AugmentationDiagnostics, writeAugmentationDiagnostics } from './diagnostics';

/** What `perturb train` writes to `<out>/result.json`. */
export interface TrainRunResult {
  /** The validated config the run used. */
  config: TrainConfig;
  /** Final test accuracy in [0, 1]. */
  testAccuracy: number;
  /** Final evaluation on the test set. */
  test: EvalResult;
  /** Every epoch's record, those run before a resume included. */
  epochs: EpochRecord[];
  /** The TensorFlow.js backend that ran (`BackendName` of `@perturb/core`). */
  backend: string;
  /**
   * What the input-stage augmenters do to the first training images (see `augmented.png`), or
   * null when no augmenter has an input stage.
   */
  augmentation: AugmentationDiagnostics | null;
  /** Wall-clock seconds of this invocation (a resumed run counts only its own part). */
  seconds: number;
  /**
   * Wall-clock seconds of training over every sitting: the sum of the epochs' (evaluations
   * included, start-up and checkpoints not), what the run cost even when it was resumed.
   */
  trainingSeconds: number;
  /**
   * CPU seconds of training over every sitting (all threads; the epochs' `cpuSeconds`): the
   * cost of the run unaffected by other processes sharing the machine. Null when an epoch
   * has none (checkpoints from before this field).
   */
  trainingCpuSeconds: number | null;
  /** When the run finished, as an ISO 8601 timestamp. */
  finishedAt: string;
}

/** The settings that choose a run's data. */
export type DataSettings = Pick<TrainConfig, 'dataset' | 'dataRoot' | 'padTo' | 'trainSize' | 'testSize'>;

/** One split of a config's dataset; with `size`, a balanced subset (the first examples of each class). */
export async function loadSplit(
  config: Pick<DataSettings, 'dataset' | 'dataRoot' | 'padTo'>,
  split: 'train' | 'test',
  size?: number,
): Promise<Dataset> {
  const full = await loadDataset(config.dataset, {
    padTo: config.padTo,
    split,
    ...(config.dataRoot ? { path: config.dataRoot } : {}),
  });
  return size ? stratifiedSubset(full, { size }) : full;
}

/** The train and test splits a config asks for. */
export async function loadSplits(config: DataSettings): Promise<{ trainSet: Dataset; testSet: Dataset }> {
  return {
    trainSet: await loadSplit(config, 'train', config.trainSize),
    testSet: await loadSplit(config, 'test', config.testSize),
  };
}

/** The config's classifier (core's models registry) for images like `data`'s, initialized from its seed. */
export function buildClassifier(config: Pick<TrainConfig, 'model' | 'seed'>, data: Dataset): Classifier {
  const definition = models.get(config.model);
  const { height, width, channels } = data.shape;
  return definition.create(parseOptions(definition.schema, {}, `${config.model} options`), {
    numClasses: data.numClasses,
    inputShape: [height, width, channels],
    rng: new Rng(config.seed).child('model'),
  });
}

/**
 * Refuses an output folder whose checkpoint belongs to another run (another model, or other
 * settings) before training, with advice for the command line.
 */
function refuseAnotherRun(config: TrainConfig, model: Classifier): void {
  const path = join(config.out, 'checkpoint.safetensors');
  if (!existsSync(path)) return;
  const { state, tensors, meta } = readCheckpoint<{ fingerprint?: string } | null>(path);
  let same: boolean;
  try {
    model.loadStateDict(state);
    same = meta?.fingerprint === configFingerprint(config);
  } catch {
    // Another architecture: the weights do not fit.
    same = false;
  } finally {
    tf.dispose([...Object.values(state), ...Object.values(tensors)]);
  }
  if (!same) {
    throw new PerturbError(
      `${config.out} holds the checkpoint of another run (another model or other settings)`,
      `choose another output folder (--out), or delete ${config.out} to start this run from scratch`,
    );
  }
}

/** Runs (or resumes) the training `config` describes and writes `<out>/result.json`. */
export async function runTrain(
  config: TrainConfig,
  options: { progress?: boolean } = {},
): Promise<TrainRunResult> {
  // One process per run folder: a second one would mix its files with this one's.
  return withRunLock(config.out, 'perturb train', async () => {
    const started = Date.now();
    await initBackend({ log: options.progress ?? true });
    const { trainSet, testSet } = await loadSplits(config);
    const model = buildClassifier(config, trainSet);
    refuseAnotherRun(config, model);
    const trainedModels = new TrainedModels();
    const augmenters = buildConfiguredAugmenters(config.augmenters, trainedModels);
    const result = await train({
      model,
      train: {
        batchesPerEpoch: batchCount(trainSet, { batchSize: config.batchSize }),
        batches: (rng) => batches(trainSet, { batchSize: config.batchSize, rng }),
      },
      test: () => batches(testSet, { batchSize: 500, shuffle: false }),
      augmenters,
      optimizer: config.optimizer,
      lr: config.lr,
      schedule: config.schedule,
      warmupSteps: config.warmupSteps,
      epochs: config.epochs,
      steps: config.steps,
      seed: config.seed,
      evalEvery: config.evalEvery,
      outDir: config.out,
      fingerprint: configFingerprint(config),
      progress: options.progress ?? true,
      label: `${config.model} ${config.augmenters.map((a) => a.name).join('+') || 'baseline'} seed ${config.seed}`,
    });
    const augmentation = writeAugmentationDiagnostics(config.out, model, augmenters, trainSet, config.seed);
    model.dispose();
    trainedModels.dispose();
    const test = result.final as EvalResult;
    const runResult: TrainRunResult = {
      config,
      testAccuracy: test.accuracy,
      test,
      epochs: result.epochs,
      backend: activeBackend()?.name ?? 'unknown',
      augmentation,
      seconds: (Date.now() - started) / 1000,
      trainingSeconds: result.epochs.reduce((total, epoch) => total + epoch.seconds, 0),
      trainingCpuSeconds: result.epochs.every((epoch) => epoch.cpuSeconds !== undefined)
        ? result.epochs.reduce((total, epoch) => total + (epoch.cpuSeconds as number), 0)
        : null,
      finishedAt: new Date().toISOString(),
    };
    writeFileAtomic(join(config.out, 'result.json'), JSON.stringify(runResult, null, 2) + '\n');
    return runResult;
  });
}
