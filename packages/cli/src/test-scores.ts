/**
 * How a model is scored on its test set: the batches `perturb train` evaluates on (its epochs'
 * and its final `test` scores), the grid it draws of the test predictions, and the same scoring
 * again, optionally under an attack, for `perturb eval`. One definition, so an evaluation of a
 * trained run reproduces the run's own numbers.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  type Augmenter,
  type Batch,
  type EvaluationContext,
  type Model,
  PerturbError,
  batchTensors,
  checkTargets,
} from '@perturb/core';
import { type Dataset, batches } from '@perturb/datasets';
import { type BatchAttacker, type DistanceSummary, batchAttacker } from '@perturb/eval';
import { type EvalResult, evaluate } from '@perturb/trainer';
import { writeDetectionGrid } from './detection-grid';
import { writePredictionGrid } from './prediction-grid';
import { batchTargetOf } from './task-data';

/**
 * The test batches of `model`'s task, in order: `batchSize` images each, by default 500, or 50
 * for a detector (its evaluation holds every image's RoI features, so smaller batches bound
 * its memory).
 */
export function testBatches(model: Model, testSet: Dataset, batchSize?: number): Iterable<Batch> {
  const target = batchTargetOf(model);
  const size = batchSize ?? (target === 'boxes' ? 50 : 500);
  return batches(testSet, { batchSize: size, shuffle: false, target });
}

/**
 * What `perturb train` evaluates `model` on ({@link testBatches}), as the trainer's `test` and
 * `testContext` options: the batches, and the test set itself for the task's evaluation, so a
 * detector is scored against all of its objects (crowd and difficult ones too, which batches
 * leave out).
 */
export function testEvaluation(
  model: Model,
  testSet: Dataset,
  batchSize?: number,
): { test: () => Iterable<Batch>; testContext: EvaluationContext } {
  return { test: () => testBatches(model, testSet, batchSize), testContext: { examples: testSet } };
}

/**
 * Writes the grid of a dense model's test predictions into `dir` (`predictions.png` of a
 * segmenter, `detections.png` of a detector), its name after `prefix` (`eval-` writes
 * `eval-predictions.png`). Returns the file written, or null for a classifier (it has no grid).
 */
export function writeTestGrid(dir: string, model: Model, testSet: Dataset, prefix = ''): string | null {
  const target = batchTargetOf(model);
  if (target === 'none') return null;
  const write = target === 'labelMap' ? writePredictionGrid : writeDetectionGrid;
  return write(dir, model, testSet, { prefix });
}

/** A dense model's scores on attacked test images, and how far the attack moved them. */
export interface DenseAttackEvaluation extends EvalResult {
  /** The attack's `name`. */
  name: string;
  /** L∞ distance of attacked from clean images. */
  linf: DistanceSummary;
  /** L2 distance of attacked from clean images. */
  l2: DistanceSummary;
}

/**
 * A dense model's test scores: its task's loss, accuracy (pixel accuracy; a detector's share of
 * objects found) and scores (`meanIoU`, `perClassIoU`, `frequencyWeightedIoU`…; `mAP`, `AP50`, `AP75`…), as
 * `perturb train` reports them under `test`, and with an attack the same on the attacked images.
 */
export interface DenseEvaluation extends EvalResult {
  attack?: DenseAttackEvaluation;
}

/** Options of {@link scoreDenseModel}. */
export interface DenseScoringOptions {
  /** Test images per batch. Default: {@link testBatches}'. */
  batchSize?: number;
  /** An augmenter with an input stage (`transform`) that keeps the task's targets; scored too. */
  attack?: Augmenter;
  /** Seeds the attack's random stream (`new Rng(seed).child(attack.name)`). Default 0. */
  seed?: number;
}

/**
 * Scores a dense `model` (in eval mode) on `testSet` with the trainer's `evaluate`, over the
 * batches `perturb train` scores on; with an attack, also over the attacked batches.
 */
export function scoreDenseModel(
  model: Model,
  testSet: Dataset,
  options: DenseScoringOptions = {},
): DenseEvaluation {
  const { attack } = options;
  const { test, testContext } = testEvaluation(model, testSet, options.batchSize);
  if (!attack) return evaluate(model, test(), testContext);
  const attacker = batchAttacker(model, attack, options.seed ?? 0);
  try {
    // The attacked pass first: an attack that cannot take the task's batches is refused at once.
    const attacked = evaluate(model, attackedBatches(attacker, attack, test()), testContext);
    const clean = evaluate(model, test(), testContext);
    return { ...clean, attack: { name: attack.name, ...attacked, ...attacker.distances() } };
  } finally {
    attacker.dispose();
  }
}

/**
 * Core's `checkTargets` with a fix for an attack: the augmenter named is not in a list of
 * augmenters to remove it from, it is the attack to replace.
 */
function refuseUnkeptTargets(attack: Augmenter, batch: Batch): void {
  try {
    checkTargets(attack, batch);
  } catch (error) {
    if (!(error instanceof PerturbError)) throw error;
    throw new PerturbError(error.problem, 'attack with an augmenter that keeps them, e.g. pixelPgd');
  }
}

/**
 * `source`'s batches transformed by `attacker`, each original disposed once its attacked batch
 * exists. A batch carrying a target the attack does not keep aligned is refused in one line.
 */
function* attackedBatches(attacker: BatchAttacker, attack: Augmenter, source: Iterable<Batch>): Generator<Batch> {
  for (const batch of source) {
    let adversarial: Batch | undefined;
    try {
      refuseUnkeptTargets(attack, batch);
      adversarial = attacker.attack(batch);
    } finally {
      const kept = new Set(adversarial ? batchTensors(adversarial) : []);
      tf.dispose(batchTensors(batch).filter((t) => !kept.has(t)));
    }
    yield adversarial;
  }
}
