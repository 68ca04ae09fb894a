/**
 * The training loop. It runs every augmenter's input stage in order, the clean loss on the
 * result plus every augmenter's loss terms, and one optimizer step; each step runs in its own
 * tensor scope, so plugins cannot leak. Checkpoints at the end of every epoch make a killed run
 * resume exactly where it was.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  type Augmenter,
  type Batch,
  type Classifier,
  type LossStage,
  PerturbError,
  ProgressBar,
  Rng,
  loadCheckpoint,
  saveCheckpoint,
  writeFileAtomic,
} from '@perturb/core';
import { evaluate, type EvalResult } from './evaluate';
import { crossEntropy } from '@perturb/core';
import { countCorrect } from './loss';
import { createOptimizer, type OptimizerConfig } from './optimizers';
import { createSchedule, type ScheduleConfig } from './schedules';

/** Where training batches come from. */
export interface TrainData {
  /** Batches per epoch. */
  batchesPerEpoch: number;
  /** One epoch of batches, shuffled with `rng`; the trainer disposes each batch after its step. */
  batches(rng: Rng): Iterable<Batch>;
}

/** What {@link train} trains, on what, and how. */
export interface TrainOptions {
  /** The classifier to train; its parameters are updated in place. */
  model: Classifier;
  /** The training batches. */
  train: TrainData;
  /** Test batches, evaluated every `evalEvery` epochs and at the end. Default: no evaluation. */
  test?: () => Iterable<Batch>;
  /** Applied in order at every step. Default none. */
  augmenters?: Augmenter[];
  /** The optimizer and its hyperparameters (other than the learning rate). */
  optimizer: OptimizerConfig;
  /** Peak (or base) learning rate. */
  lr: number;
  /** How the learning rate changes over the steps. Default `{ name: 'constant' }`. */
  schedule?: ScheduleConfig;
  /** Linear warm-up steps (not with one-cycle). Default 0. */
  warmupSteps?: number;
  /** Passes over the training data. Give this or `steps`. */
  epochs?: number;
  /**
   * Total optimizer steps instead of `epochs`: training runs ⌈steps / batchesPerEpoch⌉ epochs, the
   * last one cut short when the budget is spent, and the schedule spans exactly these steps.
   * Give this or `epochs`.
   */
  steps?: number;
  /** Seeds batch order and every augmenter's random stream. */
  seed: number;
  /** Evaluate on `test` every this many epochs (0: only at the end). Default 1. */
  evalEvery?: number;
  /** Folder for `checkpoint.safetensors`, `metrics.jsonl` and `result.json`. Default: nothing written. */
  outDir?: string;
  /** Resume from `outDir`'s checkpoint if there is one. Default true. */
  resume?: boolean;
  /**
   * Identifies the run's configuration; a checkpoint written under another fingerprint is
   * refused instead of being resumed into a different run. Default ''.
   */
  fingerprint?: string;
  /** Draw a progress bar on stderr. Default true. */
  progress?: boolean;
  /** Label of the progress bar. Default 'train'. */
  label?: string;
  /** Called after every epoch (after its checkpoint is written). Default: nothing called. */
  onEpochEnd?: (record: EpochRecord) => void;
}

/** One finished epoch, as kept in the checkpoint and written as a line of `metrics.jsonl`. */
export interface EpochRecord {
  /** The epoch's number, counted from 1. */
  epoch: number;
  /** Optimizer steps taken since the start of training, this epoch's included. */
  step: number;
  /** Learning rate of the epoch's last step. */
  lr: number;
  /** Mean training objective per example over the epoch (weighted clean loss + augmenters' terms). */
  trainLoss: number;
  /** Fraction of the epoch's (augmented) training examples classified correctly, in [0, 1]. */
  trainAccuracy: number;
  /** Evaluation on the test batches, on the epochs `evalEvery` selects and the last one. */
  test?: EvalResult;
  /** Wall-clock seconds the epoch took, its evaluation included but not its checkpoint. */
  seconds: number;
  /**
   * CPU seconds the process spent on the same span, every thread counted: what the epoch cost,
   * unlike `seconds` unaffected by other work sharing the cores. Absent outside Node.
   */
  cpuSeconds?: number;
}

/** What {@link train} returns. */
export interface TrainResult {
  /** Every epoch's record, those restored from a checkpoint included. */
  epochs: EpochRecord[];
  /** Evaluation of the final model on `test`, if given. */
  final?: EvalResult;
  /** Epochs restored from a checkpoint rather than run. */
  resumedEpochs: number;
}

interface CheckpointMeta {
  epoch: number;
  step: number;
  fingerprint: string;
  history: EpochRecord[];
  /** `state()` of every augmenter that has one, by name (absent in checkpoints of older runs). */
  augmenters?: Record<string, unknown>;
}

const CHECKPOINT = 'checkpoint.safetensors';
const OPTIMIZER_PREFIX = 'optimizer.';

/**
 * Trains `options.model`. Every step, inside its own tensor scope, runs every augmenter's
 * `transform` in order, then every `losses` stage, and takes one optimizer step on
 * `cleanWeight · CE(model(x'), y) + Σ weight · term`. With `outDir`, it writes
 * `checkpoint.safetensors` and `metrics.jsonl` at the end of every epoch and, with `resume`,
 * continues from an existing checkpoint exactly as an uninterrupted run would.
 *
 * Throws a `PerturbError` if both or neither of `epochs` and `steps` are given, two augmenters
 * share a name, the checkpoint in `outDir` has another fingerprint, or the loss stops being
 * finite.
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const { model } = options;
  const augmenters = options.augmenters ?? [];
  assertUniqueNames(augmenters);
  const stepsPerEpoch = options.train.batchesPerEpoch;
  const { epochs, totalSteps } = trainingLength(options, stepsPerEpoch);
  const schedule = createSchedule(options.schedule ?? { name: 'constant' }, {
    lr: options.lr,
    totalSteps,
    stepsPerEpoch,
    warmupSteps: options.warmupSteps,
  });
  const params = model.namedParameters();
  const optimizer = createOptimizer(options.optimizer, params);
  const rng = new Rng(options.seed);
  const fingerprint = options.fingerprint ?? '';

  let history: EpochRecord[] = [];
  let step = 0;
  const checkpointPath = options.outDir ? join(options.outDir, CHECKPOINT) : null;
  if (checkpointPath && (options.resume ?? true) && existsSync(checkpointPath)) {
    const restored = loadCheckpoint<CheckpointMeta>(checkpointPath, model);
    if (restored.meta.fingerprint !== fingerprint) {
      tf.dispose(Object.values(restored.tensors));
      throw new PerturbError(
        `${checkpointPath} belongs to a run with a different configuration`,
        'use another output folder, or delete the folder to start this run from scratch',
      );
    }
    optimizer.loadState(stripPrefix(restored.tensors, OPTIMIZER_PREFIX));
    tf.dispose(Object.values(restored.tensors));
    restoreAugmenterStates(augmenters, restored.meta.augmenters ?? {});
    history = restored.meta.history;
    step = restored.meta.step;
  }
  const resumedEpochs = history.length;

  const bar =
    options.progress === false
      ? null
      : new ProgressBar({
          total: totalSteps,
          label: options.label ?? 'train',
          start: step,
          // Off a terminal (logs, CI): one line per epoch.
          logEvery: options.train.batchesPerEpoch,
        });
  const evalEvery = options.evalEvery ?? 1;
  try {
    for (let epoch = resumedEpochs; epoch < epochs; epoch++) {
      const started = Date.now();
      const startedCpu = cpuSecondsSoFar();
      model.train();
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let lr = 0;
      for (const batch of options.train.batches(rng.child(`epoch-${epoch}`))) {
        const hyper = schedule(step);
        lr = hyper.lr;
        const result = trainStep(model, augmenters, batch, { rng, step, epoch }, (grads) =>
          optimizer.step(grads, hyper),
        );
        tf.dispose([batch.x, batch.y]);
        if (!Number.isFinite(result.loss)) {
          throw new PerturbError(
            `the loss became ${result.loss} at epoch ${epoch + 1}, step ${step + 1}`,
            "lower the learning rate, check the inputs for NaN, or check the augmenters' settings",
          );
        }
        lossSum += result.loss * result.count;
        correct += result.correct;
        seen += result.count;
        step++;
        bar?.update(step, { epoch: `${epoch + 1}/${epochs}`, loss: lossSum / seen, acc: correct / seen, lr });
        // Breaking before the next batch is drawn, so no batch is built and left undisposed.
        if (step >= totalSteps) break;
      }
      const isLast = epoch === epochs - 1;
      const test =
        options.test && evalEvery > 0 && (epoch + 1) % evalEvery === 0 && !isLast
          ? evaluate(model, options.test())
          : undefined;
      const record: EpochRecord = {
        epoch: epoch + 1,
        step,
        lr,
        trainLoss: lossSum / seen,
        trainAccuracy: correct / seen,
        ...(test ? { test } : {}),
        seconds: (Date.now() - started) / 1000,
        ...(startedCpu === undefined ? {} : { cpuSeconds: (cpuSecondsSoFar() as number) - startedCpu }),
      };
      history.push(record);
      if (checkpointPath && options.outDir) {
        saveCheckpoint<CheckpointMeta>(
          checkpointPath,
          model,
          { epoch: epoch + 1, step, fingerprint, history, augmenters: augmenterStates(augmenters) },
          prefixKeys(optimizer.state(), OPTIMIZER_PREFIX),
        );
        writeFileAtomic(
          join(options.outDir, 'metrics.jsonl'),
          history.map((r) => JSON.stringify(r)).join('\n') + '\n',
        );
      }
      options.onEpochEnd?.(record);
    }
    const final = options.test ? evaluate(model, options.test()) : undefined;
    if (final && history.length > 0) history[history.length - 1].test ??= final;
    bar?.done(final ? { 'test acc': final.accuracy } : {});
    return { epochs: history, ...(final ? { final } : {}), resumedEpochs };
  } finally {
    optimizer.dispose();
  }
}

interface StepResult {
  loss: number;
  correct: number;
  count: number;
}

/** One optimizer step inside its own tensor scope. */
function trainStep(
  model: Classifier,
  augmenters: Augmenter[],
  batch: Batch,
  where: { rng: Rng; step: number; epoch: number },
  applyGradients: (grads: tf.NamedTensorMap) => void,
): StepResult {
  return tf.tidy(() => {
    const contextFor = (augmenter: Augmenter) => ({
      model,
      rng: where.rng.child(`augmenter:${augmenter.name}`).child(`step-${where.step}`),
      step: where.step,
      epoch: where.epoch,
    });
    let current = batch;
    for (const augmenter of augmenters) {
      if (augmenter.transform) current = augmenter.transform(current, contextFor(augmenter));
    }
    const stages: LossStage[] = augmenters.flatMap((a) =>
      a.losses ? [a.losses(current, contextFor(a))] : [],
    );
    const cleanWeight = stages.reduce((w, s) => w * (s.cleanWeight ?? 1), 1);
    const input = current;
    let logitsSeen: tf.Tensor2D | null = null;
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.logits(input.x, { training: true });
      logitsSeen = tf.keep(logits);
      let total = tf.mul(crossEntropy(logits, input.y), cleanWeight);
      for (const stage of stages) {
        for (const term of stage.terms()) total = tf.add(total, tf.mul(term.value, term.weight));
      }
      return total as tf.Scalar;
    }, model.parameters());
    const loss = value.dataSync()[0];
    if (Number.isFinite(loss)) applyGradients(grads);
    const logits = logitsSeen as unknown as tf.Tensor2D;
    const result = { loss, correct: countCorrect(logits, input.y), count: input.x.shape[0] };
    logits.dispose();
    return result;
  });
}

/** Epochs to run and the steps the schedule spans, from exactly one of `epochs` and `steps`. */
function trainingLength(
  options: Pick<TrainOptions, 'epochs' | 'steps'>,
  stepsPerEpoch: number,
): { epochs: number; totalSteps: number } {
  const { epochs, steps } = options;
  if ((epochs === undefined) === (steps === undefined)) {
    throw new PerturbError(
      epochs === undefined ? 'neither epochs nor steps is given' : 'both epochs and steps are given',
      'give exactly one of them: epochs (passes over the data) or steps (total optimizer steps)',
    );
  }
  const [name, value] = epochs !== undefined ? ['epochs', epochs] : ['steps', steps as number];
  if (!Number.isInteger(value) || value < 1) {
    throw new PerturbError(`${name} = ${value} is invalid`, 'use a whole number ≥ 1');
  }
  return epochs !== undefined
    ? { epochs, totalSteps: epochs * stepsPerEpoch }
    : { epochs: Math.ceil(value / stepsPerEpoch), totalSteps: value };
}

/** The learned state of every augmenter that has one, by name. */
function augmenterStates(augmenters: Augmenter[]): Record<string, unknown> {
  return Object.fromEntries(augmenters.flatMap((a) => (a.state ? [[a.name, a.state()]] : [])));
}

function restoreAugmenterStates(augmenters: Augmenter[], states: Record<string, unknown>): void {
  for (const augmenter of augmenters) {
    if (augmenter.loadState && augmenter.name in states) augmenter.loadState(states[augmenter.name]);
  }
}

function assertUniqueNames(augmenters: Augmenter[]): void {
  const seen = new Set<string>();
  for (const a of augmenters) {
    if (seen.has(a.name)) {
      throw new PerturbError(
        `two augmenters are named "${a.name}"`,
        'give each augmenter in a run a unique name',
      );
    }
    seen.add(a.name);
  }
}

function prefixKeys(tensors: Record<string, tf.Tensor>, prefix: string): Record<string, tf.Tensor> {
  return Object.fromEntries(Object.entries(tensors).map(([k, v]) => [prefix + k, v]));
}

function stripPrefix(tensors: Record<string, tf.Tensor>, prefix: string): Record<string, tf.Tensor> {
  return Object.fromEntries(
    Object.entries(tensors)
      .filter(([k]) => k.startsWith(prefix))
      .map(([k, v]) => [k.slice(prefix.length), v]),
  );
}

/** Reads a run's `metrics.jsonl`. */
export function readMetrics(outDir: string): EpochRecord[] {
  const path = join(outDir, 'metrics.jsonl');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as EpochRecord);
}

/** User + system CPU seconds of this process so far (all threads), or undefined outside Node. */
function cpuSecondsSoFar(): number | undefined {
  if (typeof process === 'undefined' || typeof process.cpuUsage !== 'function') return undefined;
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}
