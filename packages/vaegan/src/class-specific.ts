/**
 * Stutz et al.'s set of generative models: one VAE-GAN per class (the class manifolds the
 * on-manifold attack runs on), optionally one more on all classes, each in its own resumable
 * checkpoint `class-<k>.safetensors` (and `agnostic.safetensors`) in a `RunStorage`.
 */
import {
  type CheckpointContents,
  PerturbError,
  Rng,
  type RunStorage,
  buildFromCheckpoint,
  decodeCheckpoint,
} from '@perturb/core';
import { selectExamples, type Dataset } from '@perturb/datasets';
import { type VaeGanPresetName, vaeGanPreset } from './presets';
import { trainVaeGan, type VaeGanCheckpointMeta, type VaeGanProgress } from './train';
import { STUTZ_BETA, VaeGan, type VaeGanConfig } from './vaegan';

/** Options of {@link trainClassSpecific}. */
export interface TrainClassSpecificOptions {
  /** Training set; each class's model sees only that class's images. */
  dataset: Dataset;
  /**
   * Where the checkpoints go, with each model's grid of images, reconstructions and samples in
   * `images/class-<k>.png` (see `gridImages`): `runFolder(dir)` from `@perturb/core/node`, or
   * `memoryStorage()`.
   */
  storage: RunStorage;
  /**
   * The recipe every setting below (and `widths`, `reconstruction`) defaults to: `'stutz'`
   * (default) or `'perturb-v0'`; see `VAEGAN_PRESETS`.
   */
  preset?: VaeGanPresetName;
  /** Epochs of every model. Default: the preset's. */
  epochs?: number;
  /** Architecture of every model (the image shape comes from the dataset). Defaults: the preset's widths, reconstruction and batchNorm, otherwise as in `VaeGanConfig`. */
  architecture?: Partial<
    Pick<VaeGanConfig, 'latentSize' | 'widths' | 'gamma' | 'reconstruction' | 'batchNorm'>
  >;
  /** Reconstruction weight of the class-specific models. Default 2.75 (`STUTZ_BETA.classSpecific`). */
  beta?: number;
  /**
   * The classes whose models this call trains (or loads, when finished), in this order. Each
   * class's model depends only on the seed and its own images, so processes given disjoint
   * lists train the same models as one call given all. Default: every class, `0 … K − 1`.
   */
  classes?: readonly number[];
  /** Also train a class-agnostic model on all images. Default false. */
  classAgnostic?: boolean;
  /** Reconstruction weight of the class-agnostic model. Default 3 (`STUTZ_BETA.classAgnostic`). */
  agnosticBeta?: number;
  /** Images per batch. Default: the preset's. */
  batchSize?: number;
  /** Base learning rate of Adam. Default: the preset's. */
  lr?: number;
  /** Decay of the learning rate per epoch. Default: the preset's. */
  lrDecay?: number;
  /** Coupled L2 weight decay of Adam. Default: the preset's. */
  weightDecay?: number;
  /** Seeds every model's initialization and training. Default 0. */
  seed?: number;
  /** Images per row of each model's grid, as `trainVaeGan`'s `gridImages`. Default 10; 0 writes none. */
  gridImages?: number;
  /** Draw a progress bar on stderr for each model as it trains, labelled `class-<k>` or `agnostic`. Default false. */
  progress?: boolean;
  /** Called after every step of every model; `model` is `'class-<k>'` or `'agnostic'`. */
  onStep?: (progress: VaeGanProgress & { model: string }) => void;
}

/** What {@link trainClassSpecific} returns; the caller owns (and disposes) the models. */
export interface ClassSpecificResult {
  /** The trained model of each class in `classes`, in that order. */
  models: VaeGan[];
  /** The class-agnostic model, with `classAgnostic`. */
  agnostic?: VaeGan;
  /** Epochs run by this call per model name (0 for models whose checkpoint was complete). */
  epochsRun: Record<string, number>;
}

/** Checkpoint file name of class `k`'s model. */
export function classCheckpointName(k: number): string {
  return `class-${k}.safetensors`;
}

const AGNOSTIC_FILE = 'agnostic.safetensors';

/**
 * Trains one VAE-GAN per class of `dataset` (plus, with `classAgnostic`, one on all of it),
 * one after the other. Rerunning with the same options resumes: finished models are loaded,
 * not retrained, and an interrupted one continues from its last epoch.
 */
export async function trainClassSpecific(options: TrainClassSpecificOptions): Promise<ClassSpecificResult> {
  const { dataset, storage, seed = 0 } = options;
  const { height, width, channels } = dataset.shape;
  const imageShape: [number, number, number] = [height, width, channels];
  const root = new Rng(seed);
  const { widths, reconstruction, batchNorm } = vaeGanPreset(options.preset);
  const train = async (name: string, data: Dataset, beta: number, fileName: string) => {
    const rng = root.child(name);
    const model = new VaeGan({
      ...options.architecture,
      widths: options.architecture?.widths ?? widths,
      reconstruction: options.architecture?.reconstruction ?? reconstruction,
      batchNorm: options.architecture?.batchNorm ?? batchNorm,
      imageShape,
      beta,
      rng: rng.child('init'),
    });
    const result = await trainVaeGan({
      model,
      data,
      preset: options.preset,
      epochs: options.epochs,
      batchSize: options.batchSize,
      lr: options.lr,
      lrDecay: options.lrDecay,
      weightDecay: options.weightDecay,
      seed: rng.child('train').nextUint32(),
      storage,
      fileName,
      gridImages: options.gridImages,
      progress: options.progress,
      onStep: options.onStep && ((p) => options.onStep!({ ...p, model: name })),
    });
    return { model, epochsRun: result.epochsRun };
  };

  const models: VaeGan[] = [];
  const epochsRun: Record<string, number> = {};
  for (const k of classesToTrain(dataset, options.classes)) {
    const members = indicesOfClass(dataset, k);
    if (members.length === 0) {
      throw new PerturbError(
        `${dataset.name} has no images of class ${k}`,
        'train on a dataset with every class present, e.g. a stratified subset',
      );
    }
    const name = `class-${k}`;
    const trained = await train(
      name,
      selectExamples(dataset, members),
      options.beta ?? STUTZ_BETA.classSpecific,
      classCheckpointName(k),
    );
    models.push(trained.model);
    epochsRun[name] = trained.epochsRun;
  }
  if (!options.classAgnostic) return { models, epochsRun };
  const agnostic = await train(
    'agnostic',
    dataset,
    options.agnosticBeta ?? STUTZ_BETA.classAgnostic,
    AGNOSTIC_FILE,
  );
  epochsRun.agnostic = agnostic.epochsRun;
  return { models, agnostic: agnostic.model, epochsRun };
}

function classesToTrain(dataset: Dataset, classes: readonly number[] | undefined): readonly number[] {
  if (!classes) return Array.from({ length: dataset.numClasses }, (_, k) => k);
  const bad = classes.find((k) => !Number.isInteger(k) || k < 0 || k >= dataset.numClasses);
  if (bad !== undefined) {
    throw new PerturbError(
      `class ${bad} is not a class of ${dataset.name}`,
      `name classes from 0 to ${dataset.numClasses - 1}`,
    );
  }
  return classes;
}

function indicesOfClass(dataset: Dataset, k: number): number[] {
  const out: number[] = [];
  dataset.labels.forEach((label, i) => {
    if (label === k) out.push(i);
  });
  return out;
}

/**
 * Builds the `VaeGan` that `trainVaeGan` saved as `bytes` (its checkpoint's contents; the
 * configuration is stored in it). `source` names the bytes in errors.
 */
export function vaeGanFromCheckpoint(bytes: Uint8Array, source = 'the VAE-GAN checkpoint'): VaeGan {
  // The configuration lives in the metadata, which has to be read before the model can be built.
  return vaeGanFrom(decodeCheckpoint<VaeGanCheckpointMeta | null>(bytes, source), source);
}

/** Builds the VAE-GAN of decoded checkpoint contents (which it disposes). */
export function vaeGanFrom(
  contents: CheckpointContents<VaeGanCheckpointMeta | null>,
  source: string,
): VaeGan {
  return buildFromCheckpoint(contents, (meta) => {
    if (!meta?.config) {
      throw new PerturbError(
        `${source} holds no VAE-GAN configuration`,
        'pass a checkpoint written by trainVaeGan',
      );
    }
    // Checkpoints from before the batchNorm setting have none; their configs do not name it.
    const { batchNorm = false } = meta.config as Partial<VaeGanConfig>;
    return new VaeGan({ ...meta.config, batchNorm }).eval();
  });
}

/**
 * Loads the class-specific models `class-0 … class-<K−1>.safetensors` from `storage` (e.g.
 * `runFolder('runs/vaegan')` from `@perturb/core/node`), in class order: every class up to the
 * first missing one.
 */
export function loadClassSpecific(storage: Pick<RunStorage, 'read' | 'describe'>): VaeGan[] {
  const models: VaeGan[] = [];
  try {
    for (let k = 0; ; k++) {
      const name = classCheckpointName(k);
      const bytes = storage.read(name);
      if (!bytes) break;
      models.push(vaeGanFromCheckpoint(bytes, storage.describe(name)));
    }
  } catch (error) {
    // The classes loaded before the failure would otherwise stay allocated with no owner.
    for (const model of models) model.dispose();
    throw error;
  }
  if (models.length === 0) {
    throw new PerturbError(
      `${storage.describe(classCheckpointName(0))} does not exist: there are no class-<k>.safetensors checkpoints`,
      'train them first with trainClassSpecific',
    );
  }
  return models;
}
