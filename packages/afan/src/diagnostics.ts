/** What A-FAN does to a batch, in numbers: how large δ is next to f, and how much it hurts. */
import * as tf from '@tensorflow/tfjs-core';
import { type Batch, type Model, Rng, taskOf } from '@perturb/core';
import { type AfanOptions, perturbedFeatures, resolveAfanOptions } from './afan';
import { attackSites } from './sites';

/** The effect of the attack at one site, averaged over the batch. */
export interface SiteDiagnostics {
  site: string;
  /** Mean over samples of ‖δ‖₂. */
  deltaL2: number;
  /** Mean over samples of ‖δ‖∞. */
  deltaLinf: number;
  /** Mean over samples of ‖δ‖₂ / ‖f‖₂. */
  relativeL2: number;
  /** Mean over samples of ‖δ‖∞ / ‖f‖∞. */
  relativeLinf: number;
  /** CE(tail(f), y): the clean loss. */
  cleanLoss: number;
  /** The loss of each adversarial term at this site, in the order of `strengths`. */
  adversarialLosses: { strength: number; afn: boolean; loss: number }[];
}

/** Keeps the ratios finite for all-zero features. */
const TINY_NORM = 1e-12;

/**
 * Runs {@link afan}'s attack with `options` on `batch` and reports, per site, the size of δ
 * (absolute and relative to f) and the clean and adversarial cross-entropies. Every forward
 * pass runs in eval mode whatever `bnMode` says, so the model (BatchNorm running statistics
 * included) is left exactly as it was. Call it outside any gradient scope.
 *
 * @param rng draws the random init when `randomInit` is set. Default `new Rng(0)`.
 */
export function afanDiagnostics(
  model: Model,
  batch: Batch,
  options: AfanOptions = {},
  rng: Rng = new Rng(0),
): SiteDiagnostics[] {
  const settings = resolveAfanOptions({ ...options, bnMode: 'eval' });
  const evalMode = { training: false, targets: batch };
  return tf.tidy(() =>
    attackSites(model, batch, settings.sites, settings.attack, rng, false).map(
      ({ site, features, delta }) => {
        const lossOf = (f: tf.Tensor4D) =>
          taskOf(model)
            .loss(model.tail(f, site, evalMode), batch)
            .dataSync()[0];
        const l2 = sampleNorms(delta, 'euclidean');
        const linf = sampleNorms(delta, Infinity);
        return {
          site,
          deltaL2: meanOf(l2),
          deltaLinf: meanOf(linf),
          relativeL2: meanOf(tf.div(l2, tf.maximum(sampleNorms(features, 'euclidean'), TINY_NORM))),
          relativeLinf: meanOf(tf.div(linf, tf.maximum(sampleNorms(features, Infinity), TINY_NORM))),
          cleanLoss: lossOf(features),
          adversarialLosses: settings.perturbations.map((p) => ({
            strength: p.strength,
            afn: p.normalize,
            loss: lossOf(perturbedFeatures(features, delta, p)),
          })),
        };
      },
    ),
  );
}

/** The norm of every sample of `t`, flattened. */
function sampleNorms(t: tf.Tensor4D, ord: 'euclidean' | number): tf.Tensor1D {
  return tf.norm(tf.reshape(t, [t.shape[0], -1]), ord, 1) as tf.Tensor1D;
}

function meanOf(t: tf.Tensor): number {
  return tf.mean(t).dataSync()[0];
}
