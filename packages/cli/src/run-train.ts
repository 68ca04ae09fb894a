/** `perturb train`: one training run of any registered model (classifier, segmenter, detector) from a validated config. */
import { join } from 'node:path';
import {
  type Model,
  activeBackend,
  initBackend,
  models,
  parseOptions,
  PerturbError,
  Rng,
  taskOf,
} from '@perturb/core';
import { runFolder, withRunLock, writeFileAtomic } from '@perturb/core/node';
import { type Dataset, batchCount, batches } from '@perturb/datasets';
import { type DatasetSplits, openDataset } from '@perturb/datasets/node';
import { RESULT_SCORE_FIELDS } from '@perturb/eval';
import { train, type EvalResult, type EpochRecord } from '@perturb/trainer';
import { AugmenterBuilder, buildAugmenters } from './augmenter-registry';
import { configFingerprint, type TrainConfig } from './config';
import type { CodeProvenance } from './code-provenance';
import { type AugmentationDiagnostics, writeAugmentationDiagnostics } from './diagnostics';
import { type ModelData, batchTargetOf, checkTaskFits, dataDescription } from './task-data';
import { testEvaluation, writeTestGrid } from './test-scores';

/** What `perturb train` writes to `<out>/result.json`. */
export interface TrainRunResult {
  /** The validated config the run used. */
  config: TrainConfig;
  /** What the model's logits mean: `'classification'`, `'segmentation'`, `'detection'`. */
  task: string;
  /**
   * The training set's shape, classes and dense targets: what rebuilding the model needs
   * (`perturb predict` reads it; runs from before this field load their test split instead).
   */
  data: ModelData;
  /** Final test accuracy in [0, 1]: of images, or of labelled pixels (pixel accuracy) for segmentation. */
  testAccuracy: number;
  /** Segmentation: final mean IoU over the classes in [0, 1] (the comparison's score). */
  testMeanIoU?: number;
  /** Detection: final COCO mAP (AP@[.50:.95]) in [0, 1] (the comparison's score). */
  testMAP?: number;
  /** Detection: final AP at IoU 0.5, in [0, 1]. */
  testAP50?: number;
  /** Detection: final AP at IoU 0.75, in [0, 1]. */
  testAP75?: number;
  /** Final evaluation on the test set. */
  test: EvalResult;
  /** Every epoch's record, those run before a resume included. */
  epochs: EpochRecord[];
  /** The TensorFlow.js backend that ran (`BackendName` of `@perturb/core`). */
  backend: string;
  /** Threads its kernels ran on (more than 1 only for wasm's threaded build). */
  threads: number;
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
  /** The code that trained it (`perturb train` records its checkout's commit and version), if known. */
  code?: CodeProvenance;
}

type ResultScoreField = (typeof RESULT_SCORE_FIELDS)[keyof typeof RESULT_SCORE_FIELDS];

/** The test scores `result.json` lifts to fields of their own (`testMeanIoU`, `testMAP`, …). */
function headlineScores(test: EvalResult): Partial<Record<ResultScoreField, number>> {
  return Object.fromEntries(
    Object.entries(RESULT_SCORE_FIELDS)
      .filter(([score]) => typeof test.scores?.[score] === 'number')
      .map(([score, field]) => [field, test.scores![score]]),
  );
}

/** The settings that choose a run's data. */
export type DataSettings = Pick<
  TrainConfig,
  'dataset' | 'dataRoot' | 'datasetOptions' | 'padTo' | 'trainSize' | 'testSize'
>;

/**
 * A config's dataset, opened through core's datasets registry (so a plugin's dataset loads like
 * a built-in one); its splits are read only when asked for, each a balanced subset (the first
 * examples of each class) when its size is given.
 */
function openConfigDataset(
  config: Pick<DataSettings, 'dataset' | 'dataRoot' | 'datasetOptions' | 'padTo'>,
  sizes: { trainSize?: number; testSize?: number },
): Promise<DatasetSplits> {
  return openDataset(config.dataset, {
    ...config.datasetOptions,
    padTo: config.padTo,
    ...(config.dataRoot ? { dataRoot: config.dataRoot } : {}),
    ...(sizes.trainSize ? { trainSize: sizes.trainSize } : {}),
    ...(sizes.testSize ? { testSize: sizes.testSize } : {}),
  });
}

/** One split of a config's dataset; with `size`, a balanced subset. */
export async function loadSplit(
  config: Pick<DataSettings, 'dataset' | 'dataRoot' | 'datasetOptions' | 'padTo'>,
  split: 'train' | 'test',
  size?: number,
): Promise<Dataset> {
  const splits = await openConfigDataset(
    config,
    split === 'train' ? { trainSize: size } : { testSize: size },
  );
  return split === 'train' ? splits.train() : splits.test();
}

/**
 * The train and test splits a config asks for. Refuses splits whose images differ in shape
 * before any training, not after it (a dataset, say a plugin's, whose test images have other
 * channels than its training images).
 */
export async function loadSplits(config: DataSettings): Promise<{ trainSet: Dataset; testSet: Dataset }> {
  const splits = await openConfigDataset(config, config);
  const trainSet = await splits.train();
  const testSet = await splits.test();
  const shape = (set: Dataset) => `${set.shape.height}×${set.shape.width}×${set.shape.channels}`;
  if (shape(trainSet) !== shape(testSet) || trainSet.numClasses !== testSet.numClasses) {
    throw new PerturbError(
      `dataset "${config.dataset}" has ${shape(trainSet)} training images in ${trainSet.numClasses} classes but ${shape(testSet)} test images in ${testSet.numClasses} classes`,
      'give both splits the same image size, channels and classes',
    );
  }
  return { trainSet, testSet };
}

/**
 * The config's model (core's models registry, with its `modelOptions`) for images like `data`'s
 * (a dataset, or the description result.json records of one), initialized from its seed. A detector gets the dataset's object classes (`data.boxes`, no
 * background) as its classes. Refuses a model whose task does not fit the data (`checkTaskFits`).
 */
export function buildModel(
  config: Pick<TrainConfig, 'model' | 'modelOptions' | 'seed' | 'dataset'>,
  data: ModelData,
): Model {
  const definition = models.get(config.model);
  const { height, width, channels } = data.shape;
  const options = parseOptions(
    definition.schema,
    config.modelOptions ?? {},
    `modelOptions of ${config.model}`,
  );
  const create = (numClasses: number) =>
    definition.create(options, {
      numClasses,
      inputShape: [height, width, channels],
      rng: new Rng(config.seed).child('model'),
    });
  let model = create(data.numClasses);
  try {
    checkTaskFits(model, data, config.model, config.dataset);
  } catch (error) {
    model.dispose();
    throw error;
  }
  // A definition does not say its task before it builds a model, so a detector on a dataset
  // whose image classes differ from its object classes (scenes count the background) is built
  // again with the object classes, from the same seed.
  const objectClasses = data.boxes?.classNames.length;
  if (
    taskOf(model).kind === 'detection' &&
    objectClasses !== undefined &&
    objectClasses !== data.numClasses
  ) {
    model.dispose();
    model = create(objectClasses);
  }
  return model;
}

/** Runs (or resumes) the training `config` describes and writes `<out>/result.json`. */
export async function runTrain(
  config: TrainConfig,
  options: {
    progress?: boolean;
    /** The code running, recorded in `result.json` as `code` (reports read it). Default: not recorded. */
    code?: CodeProvenance;
  } = {},
): Promise<TrainRunResult> {
  // One process per run folder: a second one would mix its files with this one's.
  return withRunLock(config.out, 'perturb train', async () => {
    const started = Date.now();
    await initBackend({ log: options.progress ?? true });
    const { trainSet, testSet } = await loadSplits(config);
    const model = buildModel(config, trainSet);
    const target = batchTargetOf(model);
    const builder = new AugmenterBuilder();
    const augmenters = buildAugmenters(config.augmenters, builder);
    const result = await train({
      model,
      train: {
        batchesPerEpoch: batchCount(trainSet, { batchSize: config.batchSize }),
        batches: (rng) => batches(trainSet, { batchSize: config.batchSize, rng, target }),
      },
      ...testEvaluation(model, testSet),
      augmenters,
      optimizer: config.optimizer,
      lr: config.lr,
      schedule: config.schedule,
      warmupSteps: config.warmupSteps,
      epochs: config.epochs,
      steps: config.steps,
      seed: config.seed,
      evalEvery: config.evalEvery,
      storage: runFolder(config.out),
      fingerprint: configFingerprint(config),
      progress: options.progress ?? true,
      label: `${config.model} ${config.augmenters.map((a) => a.name).join('+') || 'baseline'} seed ${config.seed}`,
    });
    const augmentation = writeAugmentationDiagnostics(config.out, model, augmenters, trainSet, config.seed);
    writeTestGrid(config.out, model, testSet);
    model.dispose();
    builder.dispose();
    const test = result.final as EvalResult;
    const runResult: TrainRunResult = {
      config,
      task: taskOf(model).kind,
      data: dataDescription(trainSet),
      testAccuracy: test.accuracy,
      ...headlineScores(test),
      test,
      epochs: result.epochs,
      backend: activeBackend()?.name ?? 'unknown',
      threads: activeBackend()?.threads ?? 1,
      augmentation,
      seconds: (Date.now() - started) / 1000,
      trainingSeconds: result.epochs.reduce((total, epoch) => total + epoch.seconds, 0),
      trainingCpuSeconds: result.epochs.every((epoch) => epoch.cpuSeconds !== undefined)
        ? result.epochs.reduce((total, epoch) => total + (epoch.cpuSeconds as number), 0)
        : null,
      finishedAt: new Date().toISOString(),
      ...(options.code ? { code: options.code } : {}),
    };
    writeFileAtomic(join(config.out, 'result.json'), JSON.stringify(runResult, null, 2) + '\n');
    return runResult;
  });
}
