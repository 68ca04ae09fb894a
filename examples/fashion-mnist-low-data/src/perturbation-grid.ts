/** A picture of what LA-Glow does: test images, their latent adversarial perturbations, the difference. */
import * as tf from '@tensorflow/tfjs-core';
import { type Classifier, Rng } from '@perturb/core';
import { type Dataset, toBatch } from '@perturb/datasets';
import { writeAugmentationGrid } from '@perturb/eval/node';
import type { Glow } from '@perturb/flows';
import { latentAdversarial } from '@perturb/latent-flow';

/** Images shown: one per class. */
const COUNT = 10;

/**
 * Perturbs the first test image of each class against `model` with the setting training used
 * and writes the grid (rows: clean | perturbed | |difference|) to `path`. The attack runs in eval
 * mode, so the model is left as it was.
 */
export function writeLatentPerturbationGrid(
  path: string,
  flow: Glow,
  model: Classifier,
  testSet: Dataset,
): void {
  const firstOfClass = Array.from({ length: testSet.numClasses }, (_, k) => testSet.labels.indexOf(k))
    .filter((i) => i >= 0)
    .slice(0, COUNT);
  const attack = latentAdversarial({ flow, preset: 'flow-lp', bnMode: 'eval' });
  const batch = toBatch(testSet, firstOfClass);
  tf.tidy(() => {
    const context = { model, rng: new Rng(0).child('grid'), step: 0, epoch: 0 };
    const perturbed = attack.transform!(batch, context);
    writeAugmentationGrid(path, batch.x, perturbed.x);
  });
  tf.dispose([batch.x, batch.y]);
}
