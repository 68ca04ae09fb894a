/**
 * `trainFlow`: maximum-likelihood training of a Glow with warm-up, gradient clipping,
 * data-dependent initialization, a checkpoint per epoch (resumable), test bits/dim, sample and
 * reconstruction grids, and a final `result.json`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { PerturbError, Rng, loadCheckpoint, saveCheckpoint, writeFileAtomic } from '@perturb/core';
import { writeImageGrid } from '@perturb/eval';
import { asFlowBatch, checkImageArray, gatherBatch } from './data';
import type { FlowBatch, ImageSource } from './data';
import { dequantize } from './dequantize';
import type { Glow, GlowConfig } from './glow';
import type { Optimizer } from '@perturb/trainer';
import { createFlowOptimizer, flowTrainingStep, type OptimizerKind } from './train-step';

/** What `onProgress` receives after every optimizer step. */
export interface FlowProgress {
  /** 0-based epoch. */
  epoch: number;
  epochs: number;
  /** 1-based batch within the epoch. */
  batch: number;
  /** Batches per epoch, or null when the source is an iterable of unknown length. */
  batchesPerEpoch: number | null;
  /** Optimizer steps so far, over all epochs (resumed runs included). */
  step: number;
  /** The batch's training bits/dim (before this step's update). */
  bitsPerDim: number;
  /** Learning rate used for this step (after warm-up). */
  lr: number;
  /** Gradient L2 norm before clipping. */
  gradNorm: number;
}

/** One epoch's summary, as kept in `history`. */
export interface FlowEpochSummary {
  /** 0-based epoch. */
  epoch: number;
  /** Mean training bits/dim over the epoch's steps. */
  trainBitsPerDim: number;
  /** Test bits/dim after the epoch, or null without test data. */
  testBitsPerDim: number | null;
  /** Wall-clock seconds of the epoch (training, evaluation and images). */
  seconds: number;
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
  /** Folder for checkpoint.safetensors, images/ and result.json. Created if missing. */
  outDir: string;
  /** Epochs in total (a resumed run continues up to this). Required. */
  epochs: number;
  /** Continue from `<outDir>/checkpoint.safetensors` when it exists. Default true. */
  resume?: boolean;
  /** Called after every optimizer step. */
  onProgress?: (progress: FlowProgress) => void;
  /** Called after every epoch, once its checkpoint is written. */
  onEpoch?: (summary: FlowEpochSummary) => void;
}

/** What `trainFlow` returns and writes to `<outDir>/result.json`. */
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

/** Run state saved in the checkpoint's metadata. */
interface CheckpointMeta {
  /** Epochs completed. */
  epoch: number;
  step: number;
  history: FlowEpochSummary[];
  model: GlowConfig;
  /** The training settings but `epochs` (a resumed run may train longer); a resume must match them. */
  recipe: Omit<FlowTrainingConfig, 'epochs'>;
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
  if (!Number.isInteger(config.epochs)) {
    throw new PerturbError(
      `trainFlow option epochs must be an integer, got ${config.epochs}`,
      'pass a whole number of epochs',
    );
  }
  return config;
}

/**
 * Trains `options.model` by maximum likelihood (bits/dim of dequantized images) and returns the
 * result, also written to `<outDir>/result.json`. Each epoch: shuffled batches (array data),
 * one optimizer step per batch with linear learning-rate warm-up over `warmupSteps` and
 * gradient clipping at `gradClipNorm`, then test bits/dim, PNG grids in `<outDir>/images/`
 * (samples at each temperature, test images above their reconstructions) and an atomic
 * checkpoint. A run with a checkpoint in `outDir` resumes after its last completed epoch (the
 * model and every training setting but `epochs` must match the checkpoint's).
 * Throws a `PerturbError` if the loss becomes NaN or infinite.
 *
 * Defaults: batchSize 64, optimizer 'adam', lr 1e-3, warmupSteps 200, weightDecay 0,
 * gradClipNorm 50, seed 0, initBatchSize 512, testBatchSize 256, sampleCount 64,
 * temperatures [0.7, 1].
 */
export async function trainFlow(options: TrainFlowOptions): Promise<FlowTrainingResult> {
  const { model, outDir } = options;
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
  const checkpointPath = join(outDir, 'checkpoint.safetensors');
  try {
    let state: CheckpointMeta = {
      epoch: 0,
      step: 0,
      history: [],
      model: model.config,
      recipe: recipeOf(config),
    };
    if ((options.resume ?? true) && existsSync(checkpointPath)) {
      state = resumeFrom(checkpointPath, model, optimizer, recipeOf(config));
    } else {
      await initializeFromData(model, options.train, config, rng);
    }
    for (let epoch = state.epoch; epoch < config.epochs; epoch++) {
      const started = performance.now();
      const trainBitsPerDim = await trainEpoch(model, optimizer, options, config, rng, epoch, state);
      const testBitsPerDim =
        options.test === undefined ? null : await evaluate(model, options.test, config, rng.child('test'));
      writeEpochImages(model, options.test ?? options.train, config, rng, join(outDir, 'images'), epoch);
      state.history.push({
        epoch,
        trainBitsPerDim,
        testBitsPerDim,
        seconds: (performance.now() - started) / 1000,
      });
      state.epoch = epoch + 1;
      saveCheckpoint(checkpointPath, model, state, optimizer.state());
      options.onEpoch?.(state.history[state.history.length - 1]);
    }
    const last = state.history[state.history.length - 1];
    const result: FlowTrainingResult = {
      testBitsPerDim: last?.testBitsPerDim ?? null,
      trainBitsPerDim: last?.trainBitsPerDim ?? null,
      steps: state.step,
      history: state.history,
      config: { model: model.config, training: config },
    };
    writeFileAtomic(join(outDir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } finally {
    optimizer.dispose();
  }
}

function resumeFrom(
  path: string,
  model: Glow,
  optimizer: Optimizer,
  recipe: CheckpointMeta['recipe'],
): CheckpointMeta {
  const { tensors, meta } = loadCheckpoint<CheckpointMeta>(path, model);
  try {
    if (
      JSON.stringify(meta.model) !== JSON.stringify(model.config) ||
      JSON.stringify(meta.recipe) !== JSON.stringify(recipe)
    ) {
      throw new PerturbError(
        `the checkpoint ${path} was saved from a different configuration (model or training settings other than epochs)`,
        'resume with the same model and training options, pass resume: false, or use another outDir',
      );
    }
    optimizer.loadState(tensors);
  } finally {
    tf.dispose(Object.values(tensors));
  }
  return meta;
}

/** What a resumed run must share with the run that wrote the checkpoint: everything but `epochs`. */
function recipeOf(config: FlowTrainingConfig): CheckpointMeta['recipe'] {
  const { epochs: _epochs, ...recipe } = config;
  return recipe;
}

/** Data-dependent ActNorm initialization on up to `initBatchSize` dequantized training images. */
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
    batch = gatherBatch(source, indices, model.config.numClasses);
  }
  const x = dequantize(batch.x, { nBits: model.config.nBits, rng: rng.child('init-noise') });
  model.initialize(x);
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

async function trainEpoch(
  model: Glow,
  optimizer: Optimizer,
  options: TrainFlowOptions,
  config: FlowTrainingConfig,
  rng: Rng,
  epoch: number,
  state: CheckpointMeta,
): Promise<number> {
  const source = options.train;
  const batchesPerEpoch =
    typeof source === 'function' ? null : Math.floor(source.count / Math.min(config.batchSize, source.count));
  const noise = rng.child(`dequantize${epoch}`);
  let total = 0;
  let batch = 0;
  for await (const { x, labels } of epochBatches(
    source,
    config,
    model.config.numClasses,
    rng.child(`shuffle${epoch}`),
  )) {
    try {
      const lr = config.lr * Math.min(1, (state.step + 1) / Math.max(1, config.warmupSteps));
      const measured = flowTrainingStep(model, optimizer, x, {
        lr,
        rng: noise,
        gradClipNorm: config.gradClipNorm,
        labels,
      });
      state.step += 1;
      batch += 1;
      total += measured.bitsPerDim;
      options.onProgress?.({
        epoch,
        epochs: config.epochs,
        batch,
        batchesPerEpoch,
        step: state.step,
        lr,
        ...measured,
      });
    } finally {
      tf.dispose([x, labels ?? []]);
    }
  }
  if (batch === 0)
    throw new PerturbError(
      `epoch ${epoch} had no training batch`,
      'check that the training data is not empty',
    );
  return total / batch;
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
    const bpd = model.bitsPerDim(x, { rng, labels });
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
      measure(gatherBatch(source, indices, model.config.numClasses));
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
  dir: string,
  epoch: number,
): void {
  const tag = `epoch-${String(epoch + 1).padStart(3, '0')}`;
  const { numClasses } = model.config;
  const cols = Math.ceil(Math.sqrt(config.sampleCount));
  for (const temperature of config.temperatures) {
    // Class-conditional models show the classes in turn.
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
      labels,
    });
    writeImageGrid(join(dir, `${tag}-samples-t${temperature}.png`), samples, { cols });
    tf.dispose([samples, labels ?? []]);
  }
  if (typeof source === 'function') return;
  const shown = Math.min(source.count, cols);
  const { x } = gatherBatch(
    source,
    Int32Array.from({ length: shown }, (_, i) => i),
    0,
  );
  const both = tf.tidy(() => {
    const { latents } = model.encode(x);
    return tf.concat([x, model.decode(latents)]) as tf.Tensor4D;
  });
  writeImageGrid(join(dir, `${tag}-reconstructions.png`), both, { cols: shown });
  tf.dispose([x, both]);
}
