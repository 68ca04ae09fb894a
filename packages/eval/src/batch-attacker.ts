/**
 * Attacking test batches for evaluation, the part every evaluator shares: the attack's seeded
 * context, the model's buffers put back after each batch, and how far the attack moved the images.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Augmenter, type Batch, type Model, type StepContext, PerturbError, Rng } from '@perturb/core';
import { imageDistances } from './distances';

/** Mean and maximum of a per-image distance over the test set. */
export interface DistanceSummary {
  mean: number;
  max: number;
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

/** An attack applied batch by batch to a model under evaluation; see {@link batchAttacker}. */
export interface BatchAttacker {
  /**
   * `batch` as the attack transforms it (its tensors not in `batch` are the caller's to dispose),
   * the model's buffers as they were before, and the L∞/L2 distances from `batch` recorded.
   */
  attack(batch: Batch): Batch;
  /** L∞ and L2 distances of attacked from clean images over every batch attacked. */
  distances(): { linf: DistanceSummary; l2: DistanceSummary };
  /** Frees the copies of the model's buffers. */
  dispose(): void;
}

/**
 * `attack` on `model`'s test batches, with the stream `new Rng(seed).child(attack.name)`. An
 * attack may run the model in training mode (e.g. a latent attack with bnMode 'train'), which
 * moves BatchNorm statistics: after each batch they are those of the model as given, so scores
 * are the trained model's. Refuses an augmenter without a `transform` in one line.
 */
export function batchAttacker(model: Model, attack: Augmenter, seed = 0): BatchAttacker {
  const { transform } = attack;
  if (!transform) {
    throw new PerturbError(
      `augmenter "${attack.name}" has no transform to attack with`,
      'pass an augmenter with an input stage, e.g. pixelPgd',
    );
  }
  const context: StepContext = { model, rng: new Rng(seed).child(attack.name), step: 0, epoch: 0 };
  const trained = model.namedBuffers().map(([, buffer]) => [buffer, tf.clone(buffer)] as const);
  const linf = new DistanceTally();
  const l2 = new DistanceTally();
  return {
    attack(batch) {
      const adversarial = transform.call(attack, batch, context);
      context.step++;
      for (const [buffer, value] of trained) buffer.assign(value);
      const distances = imageDistances(batch.x, adversarial.x);
      linf.add(distances.linf);
      l2.add(distances.l2);
      return adversarial;
    },
    distances: () => ({ linf: linf.result(), l2: l2.result() }),
    dispose: () => tf.dispose(trained.map(([, value]) => value)),
  };
}
