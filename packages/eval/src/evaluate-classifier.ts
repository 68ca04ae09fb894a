/** One pass of a classifier over test batches: every metric, optionally also under an attack. */
import * as tf from '@tensorflow/tfjs-core';
import { type Augmenter, type Batch, type Classifier, PerturbError, crossEntropy } from '@perturb/core';
import { type BatchAttacker, type DistanceSummary, batchAttacker } from './batch-attacker';
import { type ClassificationMetrics, MetricTally } from './metrics';

/** Options of `evaluateClassifier`. */
export interface EvaluateClassifierOptions {
  /** k of the top-k accuracy. Default 5. */
  topK?: number;
  /** Confidence bins of the expected calibration error. Default 15. */
  eceBins?: number;
  /**
   * An augmenter with a `transform` (e.g. `pixelPgd` from `@perturb/augmenters`) applied to every
   * test batch; its result is scored too. Default none.
   */
  attack?: Augmenter;
  /** Seeds the attack's `Rng` stream (`new Rng(seed).child(attack.name)`). Default 0. */
  seed?: number;
}

/** Metrics on the attacked test set and how far the attack moved the images. */
export interface AttackEvaluation extends ClassificationMetrics {
  /** The attack's `name`. */
  name: string;
  /** Mean cross-entropy on the attacked images. */
  loss: number;
  /** L∞ distance of attacked from clean images. */
  linf: DistanceSummary;
  /** L2 distance of attacked from clean images. */
  l2: DistanceSummary;
}

/** Everything `evaluateClassifier` measures. */
export interface ClassifierEvaluation extends ClassificationMetrics {
  /** Mean cross-entropy on the clean images. */
  loss: number;
  /** Present when an `attack` was given. */
  attack?: AttackEvaluation;
}

/**
 * Accuracy, top-k accuracy, confusion matrix, ECE and loss of `model` over `batches` in one pass,
 * in eval mode (the model's mode is restored afterwards). Each batch is disposed after use.
 * With `attack`, every batch is also transformed by it and scored, and the L∞/L2 distances
 * between clean and attacked images are summarized; whatever the attack does to the model's
 * buffers (BatchNorm statistics, when it runs the model in training mode) is undone after each
 * batch, so the scores are those of the model as given.
 */
export function evaluateClassifier(
  model: Classifier,
  batches: Iterable<Batch>,
  options: EvaluateClassifierOptions = {},
): ClassifierEvaluation {
  const { attack } = options;
  const tallyOptions = { topK: options.topK, eceBins: options.eceBins };
  const clean = { metrics: new MetricTally(model.numClasses, tallyOptions), lossSum: 0 };
  const attacked = { metrics: new MetricTally(model.numClasses, tallyOptions), lossSum: 0 };
  const attacker: BatchAttacker | undefined = attack && batchAttacker(model, attack, options.seed ?? 0);
  const wasTraining = model.training;
  model.eval();
  try {
    for (const batch of batches) {
      tf.tidy(() => {
        const n = batch.x.shape[0];
        const logits = model.logits(batch.x, { training: false });
        clean.metrics.add(logits, batch.y);
        clean.lossSum += crossEntropy(logits, batch.y).dataSync()[0] * n;
        if (!attacker) return;
        const adversarial = attacker.attack(batch);
        const adversarialLogits = model.logits(adversarial.x, { training: false });
        attacked.metrics.add(adversarialLogits, adversarial.y);
        attacked.lossSum +=
          crossEntropy(adversarialLogits, adversarial.y).dataSync()[0] * adversarial.x.shape[0];
      });
      tf.dispose([batch.x, batch.y]);
    }
  } finally {
    model.train(wasTraining);
    attacker?.dispose();
  }
  const metrics = clean.metrics.result();
  if (metrics.count === 0)
    throw new PerturbError('there were no test batches to evaluate', 'pass at least one batch');
  const result: ClassifierEvaluation = { ...metrics, loss: clean.lossSum / metrics.count };
  if (attack && attacker) {
    const attackedMetrics = attacked.metrics.result();
    result.attack = {
      name: attack.name,
      ...attackedMetrics,
      loss: attacked.lossSum / attackedMetrics.count,
      ...attacker.distances(),
    };
  }
  return result;
}
