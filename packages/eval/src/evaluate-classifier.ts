/** One pass of a classifier over test batches: every metric, optionally also under an attack. */
import * as tf from '@tensorflow/tfjs-core';
import {
  type Augmenter,
  type Batch,
  type Classifier,
  type StepContext,
  PerturbError,
  Rng,
  crossEntropy,
} from '@perturb/core';
import { imageDistances } from './distances';
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

/** Mean and maximum of a per-image distance over the test set. */
export interface DistanceSummary {
  mean: number;
  max: number;
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

/** Running sum and maximum of per-image distances. */
class DistanceTally {
  private sum = 0;
  private count = 0;
  private max = 0;

  add(values: readonly number[]): void {
    for (const v of values) {
      this.sum += v;
      this.max = Math.max(this.max, v);
    }
    this.count += values.length;
  }

  result(): DistanceSummary {
    return { mean: this.sum / this.count, max: this.max };
  }
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
  if (attack && !attack.transform) {
    throw new PerturbError(
      `augmenter "${attack.name}" has no transform to attack with`,
      'pass an augmenter with an input stage, e.g. pixelPgd',
    );
  }
  const tallyOptions = { topK: options.topK, eceBins: options.eceBins };
  const clean = { metrics: new MetricTally(model.numClasses, tallyOptions), lossSum: 0 };
  const attacked = { metrics: new MetricTally(model.numClasses, tallyOptions), lossSum: 0 };
  const linf = new DistanceTally();
  const l2 = new DistanceTally();
  const context: StepContext | undefined = attack && {
    model,
    rng: new Rng(options.seed ?? 0).child(attack.name),
    step: 0,
    epoch: 0,
  };
  const wasTraining = model.training;
  model.eval();
  // An attack may run the model in training mode (e.g. a latent attack with bnMode 'train'),
  // which moves BatchNorm statistics: each batch starts again from the trained model's.
  const trainedBuffers = attack ? model.namedBuffers().map(([, v]) => [v, tf.clone(v)] as const) : [];
  try {
    for (const batch of batches) {
      tf.tidy(() => {
        const n = batch.x.shape[0];
        const logits = model.logits(batch.x, { training: false });
        clean.metrics.add(logits, batch.y);
        clean.lossSum += crossEntropy(logits, batch.y).dataSync()[0] * n;
        if (!attack?.transform || !context) return;
        const adversarial = attack.transform(batch, context);
        context.step++;
        for (const [buffer, trained] of trainedBuffers) buffer.assign(trained);
        const adversarialLogits = model.logits(adversarial.x, { training: false });
        attacked.metrics.add(adversarialLogits, adversarial.y);
        attacked.lossSum +=
          crossEntropy(adversarialLogits, adversarial.y).dataSync()[0] * adversarial.x.shape[0];
        const distances = imageDistances(batch.x, adversarial.x);
        linf.add(distances.linf);
        l2.add(distances.l2);
      });
      tf.dispose([batch.x, batch.y]);
    }
  } finally {
    model.train(wasTraining);
    tf.dispose(trainedBuffers.map(([, trained]) => trained));
  }
  const metrics = clean.metrics.result();
  if (metrics.count === 0)
    throw new PerturbError('there were no test batches to evaluate', 'pass at least one batch');
  const result: ClassifierEvaluation = { ...metrics, loss: clean.lossSum / metrics.count };
  if (attack) {
    const attackedMetrics = attacked.metrics.result();
    result.attack = {
      name: attack.name,
      ...attackedMetrics,
      loss: attacked.lossSum / attackedMetrics.count,
      linf: linf.result(),
      l2: l2.result(),
    };
  }
  return result;
}
