/**
 * One classifier training step through the perturb trainer with augmenters, as
 * `latent_adv_peer.py` times it: ResNet-20, SGD with Nesterov momentum, batch 64, 32×32×1.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afan } from '@perturb/afan';
import { createClassifier } from '@perturb/classifiers';
import { type Augmenter, Rng } from '@perturb/core';
import { Glow } from '@perturb/flows';
import { latentAdversarial } from '@perturb/latent-flow';
import { train } from '@perturb/trainer';

const BATCH = 64;

function augmentedStep(makeAugmenters: (x: tf.Tensor4D) => { augmenters: Augmenter[]; dispose: () => void }) {
  const rng = new Rng(0);
  const model = createClassifier('resnet20', { rng: rng.child('model'), inChannels: 1 });
  const x = rng.uniformTensor([BATCH, 32, 32, 1]) as tf.Tensor4D;
  const labels = Array.from({ length: BATCH }, () => rng.int(10));
  const y = tf.tidy(() => tf.cast(tf.oneHot(labels, 10), 'float32')) as tf.Tensor2D;
  const { augmenters, dispose } = makeAugmenters(x);
  return {
    // One epoch of one batch: the trainer's own step, with its scopes and augmenter stages.
    step: () =>
      train({
        model,
        train: { batchesPerEpoch: 1, batches: () => [{ x: x.clone(), y: y.clone() }] },
        augmenters,
        optimizer: { name: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
        lr: 0.1,
        epochs: 1,
        seed: 0,
        progress: false,
      }),
    dispose: () => {
      dispose();
      model.dispose();
      tf.dispose([x, y]);
    },
  };
}

/** LA-Glow adversarial: PGD with `pgdSteps` sign steps (ε = α = 0.05) through a frozen Glow L=3, K=8, width 128. */
export function latentAdversarialStep(pgdSteps: number) {
  return augmentedStep((x) => {
    const flow = new Glow({ inputShape: [32, 32, 1], levels: 3, steps: 8, hidden: 128, rng: new Rng(1) });
    flow.initialize(x);
    flow.eval();
    return {
      augmenters: [latentAdversarial({ flow, norm: 'linf', epsilon: 0.05, stepSize: 0.05, steps: pgdSteps })],
      dispose: () => flow.dispose(),
    };
  });
}

/** A-FAN at the end of stage 1, PGD-5 (γ = 0.5/255), one raw and one A-FN adversarial term, as the peer. */
export function afanStep() {
  return augmentedStep(() => ({
    augmenters: [afan({ sites: ['stage1'], strengths: [0.5, 1], afnStrengths: [1] })],
    dispose: () => undefined,
  }));
}
