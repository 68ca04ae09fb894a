import * as tf from '@tensorflow/tfjs-core';
import type { Batch, Classifier } from '@perturb/core';
import { crossEntropy } from '@perturb/core';
import { countCorrect } from './loss';

/** A model's mean loss and accuracy over a set of batches. */
export interface EvalResult {
  /** Mean cross-entropy per example (NaN when there were no examples). */
  loss: number;
  /** Fraction correct in [0, 1] (NaN when there were no examples). */
  accuracy: number;
  /** Number of examples evaluated. */
  count: number;
}

/** Mean loss and accuracy of `model` in eval mode over `batches` (each disposed after use). */
export function evaluate(model: Classifier, batches: Iterable<Batch>): EvalResult {
  let lossSum = 0;
  let correct = 0;
  let count = 0;
  for (const batch of batches) {
    tf.tidy(() => {
      const logits = model.logits(batch.x, { training: false });
      const n = batch.x.shape[0];
      lossSum += crossEntropy(logits, batch.y).dataSync()[0] * n;
      correct += countCorrect(logits, batch.y);
      count += n;
    });
    tf.dispose([batch.x, batch.y]);
  }
  return { loss: count > 0 ? lossSum / count : NaN, accuracy: count > 0 ? correct / count : NaN, count };
}
