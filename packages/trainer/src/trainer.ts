/**
 * Model training (classifiers and dense models): core's training loop configured with the
 * augmenters' two stages, the clean loss of the model's task and one optimizer step per batch.
 * Each step runs in its own tensor scope, so plugins cannot leak; the loop's checkpoint at the
 * end of every epoch (model, optimizer slots, every augmenter's state) makes a killed run resume
 * exactly where it was.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  type Augmenter,
  type Batch,
  type LoopEpochRecord,
  type EvaluationContext,
  type Model,
  type ModelOutput,
  PerturbError,
  Rng,
  type StepContext,
  compose,
  runTrainingLoop,
  type RunStorage,
  stepContext,
  taskOf,
  type TrainData,
  batchTensors,
} from '@perturb/core';
import { createOptimizer, createSchedule, type OptimizerConfig, type ScheduleConfig } from '@perturb/optim';
import { evaluate, type EvalResult } from './evaluate';

/** What {@link train} trains, on what, and how. */
export interface TrainOptions {
  /**
   * The model to train; its parameters are updated in place. Its task (classification by
   * default, segmentation for dense models) gives the loss and the accuracy.
   */
  model: Model;
  /** The training batches. */
  train: TrainData;
  /** Test batches, evaluated every `evalEvery` epochs and at the end. Default: no evaluation. */
  test?: () => Iterable<Batch>;
  /**
   * What the task's evaluation of `test` is told: the examples its batches bring (the test
   * `Dataset`), so a detector scores against all of their objects. Default none.
   */
  testContext?: EvaluationContext;
  /**
   * Applied in order at every step, as core's `compose` of them (so the list `[a, b]` trains
   * exactly as `[pipeline([a, b])]`). Default none.
   */
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
  /**
   * Where `checkpoint.safetensors` and `metrics.jsonl` go: `runFolder(dir)` from
   * `@perturb/core/node` for a folder, `memoryStorage()` in a browser. Default: nothing written.
   */
  storage?: RunStorage;
  /** Resume from the checkpoint in `storage` if there is one. Default true. */
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
  /** Called after every step. Default: nothing called. */
  onStep?: (progress: TrainStepProgress) => void;
  /** Called after every epoch (after its checkpoint is written). Default: nothing called. */
  onEpochEnd?: (record: EpochRecord) => void;
}

/** What `onStep` receives after every step (epochs and steps counted from 1). */
export interface TrainStepProgress {
  epoch: number;
  epochs: number;
  /** Optimizer steps so far, over all epochs (resumed ones included). */
  step: number;
  /** The step's training loss. */
  loss: number;
  /** The step's learning rate. */
  lr: number;
}

/** One finished epoch, as kept in the checkpoint and written as a line of `metrics.jsonl`. */
export interface EpochRecord extends LoopEpochRecord {
  /** Learning rate of the epoch's last step. */
  lr: number;
  /** Mean training objective per example over the epoch (weighted clean loss + augmenters' terms). */
  trainLoss: number;
  /**
   * Fraction of the epoch's (augmented) training examples classified correctly, in [0, 1]; of
   * its labelled pixels for dense models.
   */
  trainAccuracy: number;
  /** Evaluation on the test batches, on the epochs `evalEvery` selects and the last one. */
  test?: EvalResult;
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

/**
 * Trains `options.model`. Every step, inside its own tensor scope, runs every augmenter's
 * `transform` in order, then every `losses` stage, and takes one optimizer step on
 * `cleanWeight · loss(model(x'), batch') + Σ weight · term`, the loss being the model's task's
 * (cross-entropy for classifiers, per-pixel cross-entropy for segmentation). With `storage`,
 * core's training loop writes `checkpoint.safetensors` and `metrics.jsonl` at the end of every
 * epoch and, with `resume`, continues from an existing checkpoint exactly as an uninterrupted run
 * would.
 *
 * Throws a `PerturbError` if both or neither of `epochs` and `steps` are given, two augmenters
 * share a name, the checkpoint in `storage` has another fingerprint or augmenter state that does
 * not fit the augmenters, or the loss stops being finite.
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const { model } = options;
  const augmenters = compose(options.augmenters ?? [], { name: 'the run' });
  const stepsPerEpoch = options.train.batchesPerEpoch;
  const { epochs, totalSteps } = trainingLength(options, stepsPerEpoch);
  const schedule = createSchedule(options.schedule ?? { name: 'constant' }, {
    lr: options.lr,
    totalSteps,
    stepsPerEpoch,
    warmupSteps: options.warmupSteps,
  });
  const optimizer = createOptimizer(options.optimizer, model.namedParameters());
  const rng = new Rng(options.seed);
  const evalEvery = options.evalEvery ?? 1;
  let epochTotals = { loss: 0, correct: 0, scored: 0, seen: 0, lr: 0 };
  try {
    const { history, resumedEpochs } = await runTrainingLoop<Batch, Omit<EpochRecord, keyof LoopEpochRecord>>(
      {
        model,
        optimizer,
        extraState: {
          state: () => augmenters.state?.(),
          loadState: (saved) => restoreAugmenterState(augmenters, saved),
        },
        epochs,
        stepsPerEpoch,
        maxSteps: totalSteps,
        fingerprint: options.fingerprint ?? '',
        storage: options.storage,
        resume: options.resume,
        // The epoch streams keep their 0-based names, so seeds give the numbers they always gave.
        batches: (epoch) => {
          model.train();
          epochTotals = { loss: 0, correct: 0, scored: 0, seen: 0, lr: 0 };
          return options.train.batches(rng.child(`epoch-${epoch - 1}`));
        },
        step: (batch, at) => {
          const hyper = schedule(at.step - 1);
          const result = trainStep(
            model,
            augmenters,
            batch,
            stepContext(model, rng, { step: at.step - 1, epoch: at.epoch }),
            rng.child('forward').child(`step-${at.step - 1}`),
            (grads) => optimizer.step(grads, hyper),
          );
          tf.dispose(batchTensors(batch));
          epochTotals.loss += result.loss * result.count;
          epochTotals.correct += result.correct;
          epochTotals.scored += result.scored;
          epochTotals.seen += result.count;
          epochTotals.lr = hyper.lr;
          options.onStep?.({ epoch: at.epoch, epochs, step: at.step, loss: result.loss, lr: hyper.lr });
          return {
            loss: result.loss,
            metrics: {
              loss: epochTotals.loss / epochTotals.seen,
              acc: epochTotals.correct / epochTotals.scored,
              lr: hyper.lr,
            },
          };
        },
        endEpoch: (epoch, isLast) => {
          const test =
            options.test && (isLast || (evalEvery > 0 && epoch % evalEvery === 0))
              ? evaluate(model, options.test(), options.testContext)
              : undefined;
          return {
            lr: epochTotals.lr,
            trainLoss: epochTotals.loss / epochTotals.seen,
            trainAccuracy: epochTotals.correct / epochTotals.scored,
            ...(test ? { test } : {}),
          };
        },
        divergenceFix: "lower the learning rate, check the inputs for NaN, or check the augmenters' settings",
        progress: options.progress === false ? false : (options.label ?? 'train'),
        onEpochEnd: options.onEpochEnd,
      },
    );
    // A run restored complete evaluates its final model here; otherwise its last epoch did.
    const ranNothing = resumedEpochs === history.length;
    const final = options.test
      ? ranNothing
        ? evaluate(model, options.test(), options.testContext)
        : history[history.length - 1].test
      : undefined;
    return { epochs: history, ...(final ? { final } : {}), resumedEpochs };
  } finally {
    optimizer.dispose();
  }
}

interface StepResult {
  loss: number;
  /** Units (images, or labelled pixels) predicted right, of `scored`. */
  correct: number;
  scored: number;
  /** Examples in the batch. */
  count: number;
}

/**
 * One optimizer step inside its own tensor scope, `augmenters` composed into one. The gradient
 * of `cleanWeight · task.loss + Σ weight · term` is taken one part at a time and summed, so a
 * step holds the activations of one part (the clean pass, or one term's tail) at once. The same
 * backward passes give the loss stage's learned inputs their gradient, handed to it after the
 * model's update.
 */
function trainStep(
  model: Model,
  augmenters: Augmenter,
  batch: Batch,
  ctx: StepContext,
  forwardRng: Rng,
  applyGradients: (grads: tf.NamedTensorMap) => void,
): StepResult {
  return tf.tidy(() => {
    const input = augmenters.transform ? augmenters.transform(batch, ctx) : batch;
    const stage = augmenters.losses?.(input, ctx);
    const cleanWeight = stage?.cleanWeight ?? 1;
    const task = taskOf(model);
    let logits: ModelOutput = undefined;
    const parts: (() => tf.Scalar)[] = [
      () => {
        const clean = model.logits(input.x, { training: true, targets: input, rng: forwardRng });
        // Kept past the gradient's own scope (which disposes the pass's tensors) for the accuracy
        // count, and disposed after it; a detector's output holds several tensors.
        for (const tensor of tf.tensor_util.getTensorsInContainer(clean)) tf.keep(tensor);
        logits = clean;
        return tf.mul(task.loss(clean, input), cleanWeight);
      },
      ...(stage?.terms() ?? []).map((term) => () => tf.mul(term.value(), term.weight) as tf.Scalar),
    ];
    const parameters = model.parameters();
    const learned = stage?.learned;
    const learnedTensors = learned?.tensors ?? [];
    const values: tf.Scalar[] = [];
    const grads: tf.NamedTensorMap = {};
    const learnedGrads = learnedTensors.map((tensor) => tf.zerosLike(tensor));
    for (const part of parts) {
      // The engine's gradients allow a part that reaches no parameter (a constant term), which
      // tf.variableGrads refuses.
      const gradient = tf.engine().gradients(part, [...parameters, ...learnedTensors], undefined, true);
      values.push(gradient.value);
      accumulate(grads, parameters, gradient.grads);
      gradient.grads.slice(parameters.length).forEach((partGrad, i) => {
        if (partGrad) learnedGrads[i] = tf.add(learnedGrads[i], partGrad);
      });
    }
    // One read of the summed parts, not one per part: each read waits for the device (webgl).
    const loss = tf.addN(values).dataSync()[0];
    if (Number.isFinite(loss)) {
      applyGradients(grads);
      learned?.learn(learnedGrads);
    }
    const { correct, count: scored } = task.countCorrect(logits, input);
    tf.dispose(logits);
    return { loss, correct, scored, count: input.x.shape[0] };
  });
}

/** Adds one part's gradients (`null` where it reaches no parameter) into `sum` by parameter name. */
function accumulate(
  sum: tf.NamedTensorMap,
  parameters: readonly tf.Variable[],
  part: (tf.Tensor | null)[],
): void {
  parameters.forEach(({ name }, i) => {
    const gradient = part[i];
    if (!gradient) return;
    const previous = sum[name];
    sum[name] = previous ? tf.add(previous, gradient) : gradient;
    if (previous) {
      previous.dispose();
      gradient.dispose();
    }
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

/**
 * Hands the composed augmenters their state from a checkpoint. Checkpoints of runs whose
 * augmenters had no state hold none; the composition refuses state that does not fit.
 */
function restoreAugmenterState(augmenters: Augmenter, saved: unknown): void {
  if (augmenters.loadState) augmenters.loadState(saved ?? {});
}
