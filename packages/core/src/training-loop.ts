/**
 * The one resumable training loop: classifier, flow and VAE-GAN training are configurations of
 * it (each provides its batches, its step, its epoch summary and its state). The loop owns what
 * they must agree on: epochs and steps counted the same way, the settings' fingerprint, an
 * atomic checkpoint per epoch that a killed run resumes from exactly, the NaN guard, the
 * callbacks, the progress bar, `metrics.jsonl` and `result.json`. It keeps its files in a
 * `RunStorage` (a folder in Node, memory in a browser) or nowhere, so it runs anywhere.
 */
import * as tf from '@tensorflow/tfjs-core';
import { applyCheckpoint, decodeCheckpoint, encodeCheckpoint } from './checkpoint';
import { PerturbError } from './errors';
import type { Module } from './module';
import { type Metrics, ProgressBar } from './progress';
import { readText, type RunStorage } from './run-storage';

/** Where a step is: both counted from 1 (epoch 1 is the first pass; step 1 the first update). */
export interface LoopPosition {
  /** The epoch, counted from 1. */
  epoch: number;
  /** The optimizer step over the whole run, counted from 1. */
  step: number;
}

/** What a configuration's step reports. */
export interface StepOutcome {
  /** The step's training loss; a value that is not finite stops the run. */
  loss: number;
  /** Values shown on the progress bar (instead of `loss`) and handed to `onStep`, e.g. `{ loss: 0.3, acc: 0.91 }`. */
  metrics?: Metrics;
}

/** What `onStep` receives after every step. */
export interface StepProgress extends LoopPosition, StepOutcome {
  /** Epochs in the run. */
  epochs: number;
  /** The step within its epoch, counted from 1. */
  stepInEpoch: number;
  /** Steps per epoch, or null when the data's length is unknown. */
  stepsPerEpoch: number | null;
}

/** What the loop adds to every epoch's summary. */
export interface LoopEpochRecord {
  /** The epoch, counted from 1. */
  epoch: number;
  /** Optimizer steps since the start of training, this epoch's included. */
  step: number;
  /** Wall-clock seconds of the epoch, its `endEpoch` (evaluation, images) included, not its checkpoint. */
  seconds: number;
  /**
   * CPU seconds the process spent on the same span, every thread counted: what the epoch cost,
   * unaffected by other work sharing the cores. Absent outside Node.
   */
  cpuSeconds?: number;
}

/** State kept in the checkpoint beside the model's: tensors (optimizer slots) or plain JSON. */
export interface LoopState<T> {
  /** The state now; tensors stay owned by their holder. */
  state(): T;
  /** Restores what `state()` returned (tensors are disposed by the loop after the call). */
  loadState(state: T): void;
}

/** A training run: what to train, on what, and what to record. */
export interface TrainingLoopOptions<Batch, Summary extends object> {
  /** The model whose state (parameters and buffers) the checkpoint holds. */
  model: Module;
  /** Optimizer slots, saved under `optimizer.` in the checkpoint. */
  optimizer: LoopState<Record<string, tf.Tensor>>;
  /** Other learned state, as plain JSON (e.g. augmenters' `state()`). Default none. */
  extraState?: LoopState<unknown>;
  /** Epochs in the run; a resumed run continues up to this. */
  epochs: number;
  /** Steps per epoch, or null when unknown (an iterable of unknown length). */
  stepsPerEpoch: number | null;
  /** A budget of optimizer steps: the epoch that reaches it stops there. Default none. */
  maxSteps?: number;
  /**
   * The settings a resumed run must share with the run that wrote the checkpoint (JSON); a
   * checkpoint with another fingerprint is refused.
   */
  fingerprint: unknown;
  /**
   * Where the checkpoint, `metrics.jsonl` and `result.json` go: `runFolder(dir)` from
   * `@perturb/core/node`, `memoryStorage()`, or your own. Default: nothing written.
   */
  storage?: RunStorage;
  /** The checkpoint's file name in `storage`. Default `'checkpoint.safetensors'`. */
  checkpointName?: string;
  /**
   * Write one epoch summary a line to `storage`: `true` to `metrics.jsonl`, a file name there
   * instead (several models sharing a folder keep one log each), `false` nowhere. Default true.
   */
  metricsLog?: boolean | string;
  /** Resume from the checkpoint in `storage` if there is one. Default true. */
  resume?: boolean;
  /** JSON kept in the checkpoint's run state beside the loop's, e.g. the model's configuration. */
  checkpointMeta?: Record<string, unknown>;
  /** Runs once before the first epoch of a run that is not resumed (data-dependent init). */
  initialize?: () => void | Promise<void>;
  /** The batches of an epoch (counted from 1). */
  batches: (epoch: number) => Iterable<Batch> | AsyncIterable<Batch>;
  /** One optimizer step on `batch`; it owns the batch (and disposes it). */
  step: (batch: Batch, at: LoopPosition) => StepOutcome;
  /** The epoch's summary (its mean losses, an evaluation), after its last step. */
  endEpoch: (epoch: number, isLast: boolean) => Summary | Promise<Summary>;
  /** What `result.json` holds, from the whole history; written to `storage` when given. */
  result?: (history: Array<Summary & LoopEpochRecord>) => unknown;
  /** What to do when the loss is not finite, for the error. */
  divergenceFix?: string;
  /** Draw a progress bar on stderr with this label. Default: none. */
  progress?: string | false;
  /** Called after every step. */
  onStep?: (progress: StepProgress) => void;
  /** Called after every epoch, once its checkpoint is written. */
  onEpochEnd?: (record: Summary & LoopEpochRecord) => void;
}

/** What {@link runTrainingLoop} returns. */
export interface TrainingLoopResult<Summary extends object> {
  /** Every epoch's summary, those restored from a checkpoint included. */
  history: Array<Summary & LoopEpochRecord>;
  /** Epochs restored from a checkpoint rather than run. */
  resumedEpochs: number;
  /** Optimizer steps in all. */
  steps: number;
}

/** The loop's run state in the checkpoint's metadata. */
interface LoopMeta<Summary> {
  epoch: number;
  step: number;
  fingerprint: string;
  history: Summary[];
  /** `extraState`'s state. */
  extra?: unknown;
}

const OPTIMIZER_PREFIX = 'optimizer.';
const METRICS = 'metrics.jsonl';

/**
 * Runs (or resumes) a training run. Throws a `PerturbError` if `epochs` is not a whole number
 * ≥ 1, the checkpoint in `storage` was written with another fingerprint, an epoch has no batch,
 * or the loss stops being finite (the last good checkpoint is left as it was).
 */
export async function runTrainingLoop<Batch, Summary extends object>(
  options: TrainingLoopOptions<Batch, Summary>,
): Promise<TrainingLoopResult<Summary>> {
  const { epochs, stepsPerEpoch } = options;
  if (!Number.isInteger(epochs) || epochs < 1) {
    throw new PerturbError(`epochs = ${epochs} is invalid`, 'use a whole number ≥ 1');
  }
  const fingerprint = JSON.stringify(options.fingerprint ?? null);
  const { storage } = options;
  const checkpointName = options.checkpointName ?? 'checkpoint.safetensors';
  const checkpointSource = storage?.describe(checkpointName);
  const saved = storage && (options.resume ?? true) ? storage.read(checkpointName) : undefined;
  const restored = saved && restore<Summary>(saved, checkpointSource!, options, fingerprint);
  if (!restored) await options.initialize?.();
  const history = restored?.history ?? [];
  let step = restored?.step ?? 0;
  const resumedEpochs = history.length;
  const totalSteps =
    stepsPerEpoch === null ? null : Math.min(epochs * stepsPerEpoch, options.maxSteps ?? Infinity);
  const bar = options.progress
    ? new ProgressBar({
        total: totalSteps ?? 0,
        label: options.progress,
        start: step,
        // Off a terminal (logs, CI): one line per epoch.
        ...(stepsPerEpoch === null ? {} : { logEvery: stepsPerEpoch }),
      })
    : null;

  for (let epoch = resumedEpochs + 1; epoch <= epochs && !budgetSpent(step, options.maxSteps); epoch++) {
    const started = Date.now();
    const startedCpu = cpuSecondsSoFar();
    let stepInEpoch = 0;
    for await (const batch of options.batches(epoch)) {
      const at = { epoch, step: step + 1 };
      const outcome = options.step(batch, at);
      if (!Number.isFinite(outcome.loss)) {
        throw new PerturbError(
          `the loss became ${outcome.loss} at epoch ${epoch}, step ${at.step}${checkpointSource ? `; ${checkpointSource} still holds the last good epoch` : ''}`,
          options.divergenceFix ?? 'lower the learning rate, or check the inputs for NaN',
        );
      }
      step = at.step;
      stepInEpoch++;
      const progress = { ...at, ...outcome, epochs, stepInEpoch, stepsPerEpoch };
      bar?.update(step, { epoch: `${epoch}/${epochs}`, ...(outcome.metrics ?? { loss: outcome.loss }) });
      options.onStep?.(progress);
      // Stopping before the next batch is drawn, so no batch is built and left undisposed.
      if (budgetSpent(step, options.maxSteps)) break;
    }
    if (stepInEpoch === 0) {
      throw new PerturbError(
        `epoch ${epoch} had no training batch`,
        'check that the training data is not empty',
      );
    }
    const isLast = epoch === epochs || budgetSpent(step, options.maxSteps);
    const summary = await options.endEpoch(epoch, isLast);
    const cpuSeconds = cpuSecondsSoFar();
    const record = {
      ...summary,
      epoch,
      step,
      seconds: (Date.now() - started) / 1000,
      ...(startedCpu === undefined || cpuSeconds === undefined
        ? {}
        : { cpuSeconds: cpuSeconds - startedCpu }),
    };
    history.push(record);
    if (storage) {
      const checkpoint = encodeCheckpoint<LoopMeta<Summary & LoopEpochRecord> & Record<string, unknown>>(
        options.model,
        {
          ...options.checkpointMeta,
          epoch,
          step,
          fingerprint,
          history,
          ...(options.extraState ? { extra: options.extraState.state() } : {}),
        },
        prefixKeys(options.optimizer.state(), OPTIMIZER_PREFIX),
        checkpointSource,
      );
      storage.write(checkpointName, checkpoint);
      const metricsLog = options.metricsLog ?? true;
      if (metricsLog !== false) {
        storage.write(
          metricsLog === true ? METRICS : metricsLog,
          history.map((r) => JSON.stringify(r)).join('\n') + '\n',
        );
      }
    }
    options.onEpochEnd?.(record);
  }
  bar?.done();
  if (storage && options.result) {
    storage.write('result.json', `${JSON.stringify(options.result(history), null, 2)}\n`);
  }
  return { history, resumedEpochs, steps: step };
}

/**
 * Loads the checkpoint into the model and the states; returns the loop's run state. The
 * fingerprint is compared before any weight is loaded, so the checkpoint of another model is
 * refused for its settings, not for weights that do not fit.
 */
function restore<Summary>(
  bytes: Uint8Array,
  source: string,
  options: Pick<TrainingLoopOptions<never, object>, 'model' | 'optimizer' | 'extraState'>,
  fingerprint: string,
): LoopMeta<Summary & LoopEpochRecord> {
  const contents = decodeCheckpoint<Partial<LoopMeta<Summary & LoopEpochRecord>> | null>(bytes, source);
  const meta = contents.meta ?? {};
  if (meta.fingerprint !== fingerprint || !Array.isArray(meta.history) || typeof meta.step !== 'number') {
    tf.dispose([...Object.values(contents.state), ...Object.values(contents.tensors)]);
    throw new PerturbError(
      `${source} was written by a run with other settings`,
      'resume with the settings it was trained with, use another output folder, or delete the checkpoint to train from scratch',
    );
  }
  const { tensors } = applyCheckpoint(contents, options.model);
  try {
    options.optimizer.loadState(stripPrefix(tensors, OPTIMIZER_PREFIX));
    if (options.extraState && meta.extra !== undefined) options.extraState.loadState(meta.extra);
    return meta as LoopMeta<Summary & LoopEpochRecord>;
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

function budgetSpent(step: number, maxSteps: number | undefined): boolean {
  return maxSteps !== undefined && step >= maxSteps;
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

/** Reads the metrics log (`metrics.jsonl`, or `fileName`) a run wrote to `storage` (empty when there is none). */
export function readMetrics<Summary extends object = Record<string, unknown>>(
  storage: RunStorage,
  fileName = METRICS,
): Array<Summary & LoopEpochRecord> {
  return (readText(storage, fileName) ?? '')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Summary & LoopEpochRecord);
}

/** User + system CPU seconds of this process so far (all threads), or undefined outside Node. */
function cpuSecondsSoFar(): number | undefined {
  if (typeof process === 'undefined' || typeof process.cpuUsage !== 'function') return undefined;
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}
