/**
 * The example's whole run: the user's LayersModel wrapped with `fromLayersModel`, trained by
 * `@perturb/trainer` with LA-Glow random latent perturbations (a small Glow trained first on the
 * same images) and A-FAN at one of the model's layers, then saved with `model.save` in the
 * format `tf.loadLayersModel` reads in a browser, next to the Glow saved with `saveModule`.
 */
import { join } from 'node:path';
import { afan } from '@perturb/afan';
import { fromLayersModel, type LayersClassifier } from '@perturb/classifiers';
import { type BackendName, Rng, initBackend, saveModule } from '@perturb/core';
import { runFolder } from '@perturb/core/node';
import { type Dataset, batchCount, batches, stratifiedSubset } from '@perturb/datasets';
import { loadDataset } from '@perturb/datasets/node';
import { Glow, trainFlow } from '@perturb/flows';
import { latentRandom } from '@perturb/latent-flow';
import { type EpochRecord, type TrainResult, train } from '@perturb/trainer';
import { folderHandler } from './file-handler';
import { MODEL_SITES, type ModelKind, buildModel } from './model';

/** What to train and where; every field but `out` has a default. */
export interface LayersModelRunOptions {
  /** Folder of the run: `model/` (the LayersModel), `glow/`, `flow/` and `classifier/` (checkpoints). */
  out: string;
  /** Which way the user wrote the model. Default `'sequential'`. */
  model?: ModelKind;
  /** The layer A-FAN perturbs. Default `'block1'`. */
  site?: (typeof MODEL_SITES)[number];
  /** PGD steps of A-FAN's feature attack. Default 5 (the paper's). */
  afanSteps?: number;
  /** Training images, balanced over classes, from the Fashion-MNIST subset shipped with perturb. Default 500. */
  trainSize?: number;
  /** Test images. Default 500. */
  testSize?: number;
  /** Optimizer steps of the classifier (SGD, momentum 0.9). Default 100. */
  steps?: number;
  /** Batch size. Default 50. */
  batchSize?: number;
  /** Learning rate. Default 0.05. */
  lr?: number;
  /** Glow: levels, steps per level, hidden channels, epochs. Default 2, 2, 16, 3. */
  flow?: { levels?: number; steps?: number; hidden?: number; epochs?: number };
  /** Seeds the model's initial weights, the batches and the augmenters. Default 0. */
  seed?: number;
  /** Backend; default perturb's choice (wasm on a plain Node install). */
  backend?: BackendName;
  /** Progress bars on stderr. Default true. */
  progress?: boolean;
  /** Called after every classifier epoch (after its checkpoint). */
  onEpochEnd?: (record: EpochRecord) => void;
}

/** What {@link runLayersModelExample} returns; the caller disposes `classifier` and `flow`. */
export interface LayersModelRun {
  /** The trained model, wrapped; `classifier.model` is the user's LayersModel. */
  classifier: LayersClassifier;
  flow: Glow;
  training: TrainResult;
  /** Where the LayersModel was saved (`model.json` + `weights.bin`). */
  modelFolder: string;
  /** Where the Glow was saved with `saveModule` (its configuration is the model topology). */
  glowFolder: string;
}

/**
 * Trains the user's model with LA-Glow random + A-FAN and saves it. Checkpoints every epoch
 * under `out`: run it again with the same options and it resumes where it stopped.
 */
export async function runLayersModelExample(options: LayersModelRunOptions): Promise<LayersModelRun> {
  const settings = {
    model: 'sequential' as ModelKind,
    site: 'block1' as const,
    afanSteps: 5,
    trainSize: 500,
    testSize: 500,
    steps: 100,
    batchSize: 50,
    lr: 0.05,
    seed: 0,
    progress: true,
    ...options,
    flow: { levels: 2, steps: 2, hidden: 16, epochs: 3, ...options.flow },
  };
  await initBackend({ backend: settings.backend, log: false });
  const rng = new Rng(settings.seed);
  const load = (split: 'train' | 'test') =>
    loadDataset('fashion-mnist-small', { split, download: false, progress: false });
  const trainSet = stratifiedSubset(await load('train'), {
    size: settings.trainSize,
    rng: rng.child('subset'),
  });
  const testSet = stratifiedSubset(await load('test'), { size: settings.testSize });
  const { height, width, channels } = trainSet.shape;

  const flow = await trainGlow(trainSet, settings.flow, join(settings.out, 'flow'), settings.progress);
  const glowFolder = join(settings.out, 'glow');
  await saveModule(flow, folderHandler(glowFolder), flow.config);

  const classifier = fromLayersModel(
    buildModel(settings.model, [height, width, channels], trainSet.numClasses, settings.seed),
    {
      sites: [...MODEL_SITES],
    },
  );
  try {
    const { batchSize } = settings;
    const training = await train({
      model: classifier,
      train: {
        batchesPerEpoch: batchCount(trainSet, { batchSize }),
        batches: (r) => batches(trainSet, { batchSize, rng: r }),
      },
      test: () => batches(testSet, { batchSize: 250, shuffle: false }),
      augmenters: [
        latentRandom({ flow, epsilon: 0.2 }),
        afan({ sites: [settings.site], steps: settings.afanSteps }),
      ],
      optimizer: { name: 'sgd', momentum: 0.9 },
      lr: settings.lr,
      steps: settings.steps,
      seed: settings.seed,
      storage: runFolder(join(settings.out, 'classifier')),
      fingerprint: JSON.stringify({
        ...settings,
        out: undefined,
        progress: undefined,
        onEpochEnd: undefined,
      }),
      progress: settings.progress,
      label: `${settings.model} model`,
      onEpochEnd: settings.onEpochEnd,
    });
    const modelFolder = join(settings.out, 'model');
    // The wrapper trained the model's own variables: saving the model saves the trained weights.
    await classifier.model.save(folderHandler(modelFolder));
    return { classifier, flow, training, modelFolder, glowFolder };
  } catch (error) {
    classifier.dispose();
    flow.dispose();
    throw error;
  }
}

/** A small Glow on the training images (resumed from `outDir` when a run already trained it). */
async function trainGlow(
  trainSet: Dataset,
  options: { levels: number; steps: number; hidden: number; epochs: number },
  outDir: string,
  progress: boolean,
): Promise<Glow> {
  const { height, width, channels } = trainSet.shape;
  const flow = new Glow({
    inputShape: [height, width, channels],
    levels: options.levels,
    steps: options.steps,
    hidden: options.hidden,
    rng: new Rng(0).child('flow'),
  });
  const images = { images: trainSet.images, count: trainSet.labels.length, height, width, channels };
  await trainFlow({
    model: flow,
    train: images,
    storage: runFolder(outDir),
    epochs: options.epochs,
    batchSize: 50,
    warmupSteps: Math.ceil(images.count / 50),
    sampleCount: 16,
    seed: 0,
    onEpochEnd: progress
      ? (e) => process.stderr.write(`glow: epoch ${e.epoch}/${options.epochs}\n`)
      : undefined,
  });
  flow.eval();
  return flow;
}

/** Disposes what a run returned. */
export function disposeRun(run: LayersModelRun): void {
  run.classifier.dispose();
  run.flow.dispose();
}
