/** The attack work both plugins share: features at each site and a PGD perturbation of them. */
import type * as tf from '@tensorflow/tfjs-core';
import {
  type Batch,
  type ForwardOptions,
  type Model,
  type PgdSettings,
  check,
  type Rng,
} from '@perturb/core';
import { runFeaturePgd } from './pgd';

/** Features f = head(x) at one site and the adversarial perturbation δ found for them. */
export interface AttackedSite {
  site: string;
  features: tf.Tensor4D;
  delta: tf.Tensor4D;
}

/**
 * The options of a forward pass of the plugin's step: the batch as targets and the stream
 * `rng.child('forward')` for a detector's anchor and RoI sampling (classifiers ignore both).
 */
export function forwardOptions(batch: Batch, rng: Rng, training: boolean): ForwardOptions {
  return { training, targets: batch, rng: rng.child('forward') };
}

/**
 * Runs head(x) and PGD at every site. `headTraining` is the BatchNorm mode of the head pass;
 * each site draws its random init from its own child stream of `rng`, so adding a site does
 * not change the others' draws.
 */
export function attackSites(
  model: Model,
  batch: Batch,
  sites: readonly string[],
  attack: PgdSettings,
  rng: Rng,
  headTraining: boolean,
): AttackedSite[] {
  for (const site of sites) {
    check(
      model.sites.includes(site),
      `the model has no feature site "${site}"`,
      `use one of ${model.sites.map((s) => `"${s}"`).join(', ')}`,
    );
  }
  return sites.map((site) => {
    const features = model.head(batch.x, site, forwardOptions(batch, rng, headTraining));
    const delta = runFeaturePgd(model, site, features, batch, attack, rng.child(`site:${site}`));
    return { site, features, delta };
  });
}

/**
 * The head features to build the loss terms on: the detached ones computed by the attack, or
 * head(x) recomputed now — inside the trainer's gradient scope, so gradients reach the head.
 */
export function termFeatures(
  model: Model,
  batch: Batch,
  attacked: AttackedSite,
  detachHead: boolean,
  rng: Rng,
): tf.Tensor4D {
  return detachHead
    ? attacked.features
    : model.head(batch.x, attacked.site, forwardOptions(batch, rng, true));
}
