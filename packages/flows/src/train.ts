/**
 * `trainFlow`: maximum-likelihood training of a Glow as a configuration of core's training loop,
 * with warm-up, gradient clipping, data-dependent initialization, a checkpoint per epoch
 * (resumable), test bits/dim, sample and reconstruction grids, and a final `result.json`.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  type LoopEpochRecord,
  PerturbError,
  Rng,
  type RunStorage,
  imageGridPng,
  runTrainingLoop,
} from '@perturb/core';
import { asFlowBatch, checkImageArray, gatherBatch } from './data';
import type { FlowBatch, ImageSource } from './data';
import type { Glow, GlowConfig } from './glow';
import { createFlowOptimizer, flowTrainingStep, type OptimizerKind } from './train-step';
import { type TrainingNoise, UNIFORM_NOISE, addTrainingNoise, parseTrainingNoise } from './training-noise';

/** What `onStep` receives after every optimizer step (epochs, batches and steps counted from 1). */
export interface FlowProgress {
  /** The epoch, counted from 1. */
  epoch: number;
  epochs: number;
  /** The batch within the epoch, counted from 1. */
  batch: number;
  /** Batches per epoch, or null when the source is an iterable of unknown length. */
  batchesPerEpoch: number | null;
  /** Optimizer steps so far, over all epochs (resumed runs included). */
  step: number;
  /**
   * The batch's training loss (before this step's update): its bits/dim under the training
   * noise, a bound on the images' bits/dim only with uniform noise.
   */
  bitsPerDim: number;
  /** Learning rate used for this step (after warm-up). */
  lr: number;
  /** Gradient L2 norm before clipping. */
  gradNorm: number;
}

/** One epoch's summary, as kept in `history` (and written to `metrics.jsonl`). */
export interface FlowEpochSummary extends LoopEpochRecord {
  /** Mean training loss over the epoch's steps (bits/dim under the training noise, see `FlowProgress`). */
  trainBitsPerDim: number;
  /** Test bits/dim after the epoch (uniform dequantization whatever the training noise), or null without test data. */
  testBitsPerDim: number | null;
}

/** The training settings (everything but the model, the data and the callbacks), as saved in result.json. */
export interface FlowTrainingConfig {
  epochs: number;
  batchSize: number;
  optimizer: OptimizerKind;
  lr: number;
  warmupSteps: number;
  weightDecay: number;
  gradClipNorm: number;
  /**
   * The noise training images get: `{ kind: 'uniform' }`, uniform dequantization (the training
   * loss bounds bits/dim), or `{ kind: 'gaussian', std }`, clamp(x + std·ε, 0, 1) on pixels in
   * [0, 1] before the data space, as flow-lp's notebook trains (std 0.1). Test bits/dim always
   * uses uniform dequantization, so figures compare across noises.
   */
  noise: TrainingNoise;
  seed: number;
  initBatchSize: number;
  testBatchSize: number;
  sampleCount: number;
  temperatures: number[];
}

/** Options of `trainFlow`. */
export interface TrainFlowOptions extends Partial<Omit<FlowTrainingConfig, 'epochs'>> {
  /** The model to train (built with `new Glow(...)`); trained in place. */
  model: Glow;
  /** Training images. */
  train: ImageSource;
  /** Test images, evaluated after every epoch. Default none. */
  test?: ImageSource;
  /**
   * Where checkpoint.safetensors, metrics.jsonl, images/ and result.json go: `runFolder(dir)`
   * from `@perturb/core/node`, `memoryStorage()`, or your own. Default: nothing written (and no
   * images drawn).
   */
  storage?: RunStorage;
  /** Epochs in total (a resumed run continues up to this). Required. */
  epochs: number;
  /** Continue from `checkpoint.safetensors` in `storage` when it is there. Default true. */
  resume?: boolean;
  /** Draw a progress bar on stderr. Default false. */
  progress?: boolean;
  /** Called after every optimizer step. */
  onStep?: (progress: FlowProgress) => void;
  /** Called after every epoch, once its checkpoint is written. */
  onEpochEnd?: (summary: FlowEpochSummary) => void;
}

/** What `trainFlow` returns and writes to `result.json` in `storage`. */
export interface FlowTrainingResult {
  /** Test bits/dim after the last epoch, or null without test data. */
  testBitsPerDim: number | null;
  /** Mean training bits/dim of the last epoch, or null if no epoch ran. */
  trainBitsPerDim: number | null;
  /** Optimizer steps in total. */
  steps: number;
  history: FlowEpochSummary[];
  config: { model: GlowConfig; training: FlowTrainingConfig };
}

function resolveTrainingConfig(options: TrainFlowOptions): FlowTrainingConfig {
  const config: FlowTrainingConfig = {
    epochs: options.epochs,
    batchSize: options.batchSize ?? 64,
    optimizer: options.optimizer ?? 'adam',
    lr: options.lr ?? 1e-3,
    warmupSteps: options.warmupSteps ?? 200,
    weightDecay: options.weightDecay ?? 0,
    gradClipNorm: options.gradClipNorm ?? 50,
    noise: parseTrainingNoise(options.noise ?? UNIFORM_NOISE),
    seed: options.seed ?? 0,
    initBatchSize: options.initBatchSize ?? 512,
    testBatchSize: options.testBatchSize ?? 256,
    sampleCount: options.sampleCount ?? 64,
    temperatures: options.temperatures ?? [0.7, 1],
  };
  const positive = ['epochs', 'batchSize', 'lr', 'initBatchSize', 'testBatchSize', 'sampleCount'] as const;
  for (const key of positive) {
    if (!(config[key] > 0))
      throw new PerturbError(
        `trainFlow option ${key} must be positive, got ${config[key]}`,
        `pass a positive ${key}`,
      );
  }
  return config;
}

/**
 * Trains `options.model` by maximum likelihood (bits/dim of noised images) and returns the
 * result, also written to `result.json` in `storage`. Each epoch: shuffled batches (array data),
 * one optimizer step per batch with linear learning-rate warm-up over `warmupSteps` and
 * gradient clipping at `gradClipNorm`, then test bits/dim, PNG grids in `images/`
 * (samples at each temperature, test images above their reconstructions) and an atomic
 * checkpoint. A run with a checkpoint in `storage` resumes after its last completed epoch (the
 * model and every training setting but `epochs` must match the checkpoint's).
 * Throws a `PerturbError` if the loss becomes NaN or infinite.
 *
 * Defaults: batchSize 64, optimizer 'adam', lr 1e-3, warmupSteps 200, weightDecay 0,
 * gradClipNorm 50, noise { kind: 'uniform' }, seed 0, initBatchSize 512, testBatchSize 256, sampleCount 64,
 * temperatures [0.7, 1].
 */
export async function trainFlow(options: TrainFlowOptions): Promise<FlowTrainingResult> {
  const { model, storage } = options;
  const config = resolveTrainingConfig(options);
  for (const [role, source] of [
    ['training', options.train],
    ['test', options.test],
  ] as const) {
    if (source !== undefined && typeof source !== 'function')
      checkImageArray(source, model.config.inputShape, role);
  }
  const rng = new Rng(config.seed);
  const optimizer = createFlowOptimizer(model, {
    kind: config.optimizer,
    weightDecay: config.weightDecay,
  });
  const source = options.train;
  const batchesPerEpoch =
    typeof source === 'function' ? null : Math.floor(source.count / Math.min(config.batchSize, source.count));
  // Only uniform dequantization's loss bounds bits/dim; the progress bar says which it shows.
  const lossLabel = config.noise.kind === 'uniform' ? 'bits/dim' : 'loss';
  // The epoch's training-noise stream, and its running sum of the loss.
  let noise = rng;
  let bitsSum = 0;
  let batch = 0;
  try {
    const { history, steps } = await runTrainingLoop<
      FlowBatch,
      Omit<FlowEpochSummary, keyof LoopEpochRecord>
    >({
      model,
      optimizer,
      epochs: config.epochs,
      stepsPerEpoch: batchesPerEpoch,
      // What a resumed run must share with the run that wrote the checkpoint: all but `epochs`.
      fingerprint: { model: model.config, recipe: recipeOf(config) },
      checkpointMeta: { model: model.config },
      storage,
      resume: options.resume,
      initialize: () => initializeFromData(model, source, config, rng),
      // The epoch streams keep their 0-based names, so seeds give the numbers they always gave.
      // Gaussian noise draws from the stream uniform dequantization always drew from.
      batches: (epoch) => {
        noise = rng.child(`dequantize${epoch - 1}`);
        [bitsSum, batch] = [0, 0];
        return epochBatches(source, config, model.conditionWidth, rng.child(`shuffle${epoch - 1}`));
      },
      step: ({ x, labels }, at) => {
        try {
          const lr = config.lr * Math.min(1, at.step / Math.max(1, config.warmupSteps));
          const measured = flowTrainingStep(model, optimizer, x, {
            lr,
            rng: noise,
            noise: config.noise,
            gradClipNorm: config.gradClipNorm,
            condition: labels,
          });
          bitsSum += measured.bitsPerDim;
          batch += 1;
          options.onStep?.({
            epoch: at.epoch,
            epochs: config.epochs,
            batch,
            batchesPerEpoch,
            step: at.step,
            lr,
            ...measured,
          });
          return { loss: measured.bitsPerDim, metrics: { [lossLabel]: measured.bitsPerDim, lr } };
        } finally {
          tf.dispose([x, labels ?? []]);
        }
      },
      endEpoch: async (epoch) => {
        const testBitsPerDim =
          options.test === undefined ? null : await evaluate(model, options.test, config, rng.child('test'));
        if (storage) writeEpochImages(model, options.test ?? source, config, rng, storage, epoch);
        return { trainBitsPerDim: bitsSum / batch, testBitsPerDim };
      },
      result: (history): FlowTrainingResult => resultOf(history, model, config),
      divergenceFix:
        'lower the learning rate, lengthen the warm-up or lower gradClipNorm, and check that the images are finite values in [0, 1]',
      progress: options.progress ? 'train-flow' : false,
      onEpochEnd: options.onEpochEnd,
    });
    return { ...resultOf(history, model, config), steps };
  } finally {
    optimizer.dispose();
  }
}

function resultOf(history: FlowEpochSummary[], model: Glow, config: FlowTrainingConfig): FlowTrainingResult {
  const last = history[history.length - 1];
  return {
    testBitsPerDim: last?.testBitsPerDim ?? null,
    trainBitsPerDim: last?.trainBitsPerDim ?? null,
    steps: last?.step ?? 0,
    history,
    config: { model: model.config, training: config },
  };
}

/**
 * What a resumed run must share with the run that wrote the checkpoint: everything but `epochs`.
 * The default noise is left out, so checkpoints written before the option existed still resume.
 */
function recipeOf(config: FlowTrainingConfig): Partial<Omit<FlowTrainingConfig, 'epochs'>> {
  const { epochs: _epochs, noise, ...recipe } = config;
  return noise.kind === 'uniform' ? recipe : { ...recipe, noise };
}

/** Data-dependent ActNorm initialization on up to `initBatchSize` training images with the training noise. */
async function initializeFromData(
  model: Glow,
  source: ImageSource,
  config: FlowTrainingConfig,
  rng: Rng,
): Promise<void> {
  let batch: FlowBatch | undefined;
  if (typeof source === 'function') {
    for await (const item of source()) {
      batch = asFlowBatch(item);
      break;
    }
    if (batch === undefined)
      throw new PerturbError('the training batch source yielded no batch', 'check the training data');
  } else {
    const indices = rng
      .child('init')
      .permutation(source.count)
      .subarray(0, Math.min(config.initBatchSize, source.count));
    batch = gatherBatch(source, indices, model.conditionWidth);
  }
  const x = addTrainingNoise(batch.x, config.noise, {
    nBits: model.config.nBits,
    rng: rng.child('init-noise'),
  });
  model.initialize(x, batch.labels);
  tf.dispose([x, batch.x, batch.labels ?? []]);
}

/** Yields the epoch's training batches (shuffled for arrays) and disposes each after use. */
async function* epochBatches(
  source: ImageSource,
  config: FlowTrainingConfig,
  numClasses: number,
  rng: Rng,
): AsyncGenerator<FlowBatch> {
  if (typeof source === 'function') {
    for await (const item of source()) yield asFlowBatch(item);
    return;
  }
  const order = rng.permutation(source.count);
  const size = Math.min(config.batchSize, source.count);
  for (let start = 0; start + size <= source.count; start += size) {
    yield gatherBatch(source, order.subarray(start, start + size), numClasses);
  }
}

/** Mean bits/dim over every image of `source`, with dequantization noise from `rng`. */
async function evaluate(
  model: Glow,
  source: ImageSource,
  config: FlowTrainingConfig,
  rng: Rng,
): Promise<number> {
  let sum = 0;
  let count = 0;
  const measure = ({ x, labels }: FlowBatch) => {
    const bpd = model.bitsPerDim(x, { rng, condition: labels });
    sum += bpd.dataSync()[0] * x.shape[0];
    count += x.shape[0];
    tf.dispose([bpd, x, labels ?? []]);
  };
  if (typeof source === 'function') {
    for await (const item of source()) measure(asFlowBatch(item));
  } else {
    for (let start = 0; start < source.count; start += config.testBatchSize) {
      const indices = Int32Array.from(
        { length: Math.min(config.testBatchSize, source.count - start) },
        (_, i) => start + i,
      );
      measure(gatherBatch(source, indices, model.conditionWidth));
    }
  }
  if (count === 0)
    throw new PerturbError('the test data yielded no images', 'pass a non-empty test set or none');
  if (!Number.isFinite(sum / count)) {
    throw new PerturbError(
      `the test bits/dim is ${sum / count}`,
      'lower the learning rate or check the test images',
    );
  }
  return sum / count;
}

/**
 * Sample grids (same noise every epoch, so they are comparable) and a reconstruction grid
 * (originals above their reconstructions) of the first images of `source` (arrays only).
 */
function writeEpochImages(
  model: Glow,
  source: ImageSource,
  config: FlowTrainingConfig,
  rng: Rng,
  storage: RunStorage,
  epoch: number,
): void {
  const tag = `epoch-${String(epoch).padStart(3, '0')}`;
  const numClasses = model.conditionWidth;
  const cols = Math.ceil(Math.sqrt(config.sampleCount));
  for (const temperature of config.temperatures) {
    // Conditional models show the classes (one-hot conditions) in turn.
    const labels =
      numClasses > 0
        ? tf.tidy(
            () =>
              tf.oneHot(
                tf.tensor1d(
                  Int32Array.from({ length: config.sampleCount }, (_, i) => i % numClasses),
                  'int32',
                ),
                numClasses,
              ) as tf.Tensor2D,
          )
        : undefined;
    const samples = model.sample(config.sampleCount, {
      rng: rng.child(`samples-t${temperature}`),
      temperature,
      condition: labels,
    });
    storage.write(`images/${tag}-samples-t${temperature}.png`, imageGridPng(samples, { cols }));
    tf.dispose([samples, labels ?? []]);
  }
  if (typeof source === 'function') return;
  const shown = Math.min(source.count, cols);
  const { x, labels: condition } = gatherBatch(
    source,
    Int32Array.from({ length: shown }, (_, i) => i),
    numClasses,
  );
  const both = tf.tidy(() => {
    const { latents } = model.encode(x, { condition });
    return tf.concat([x, model.decode(latents, { condition })]) as tf.Tensor4D;
  });
  storage.write(`images/${tag}-reconstructions.png`, imageGridPng(both, { cols: shown }));
  tf.dispose([x, both, condition ?? []]);
}
