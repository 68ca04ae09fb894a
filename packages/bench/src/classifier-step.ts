/** One SGD training step of a classifier, as the peer's `--bench` times it. */
import * as tf from '@tensorflow/tfjs-core';
import { createClassifier } from '@perturb/classifiers';
import { Rng, crossEntropy } from '@perturb/core';
import { createOptimizer } from '@perturb/optim';

/** The input of a classifier step: a batch of `batch` images `size`×`size`×`channels`. */
export interface StepSpec {
  batch: number;
  channels: number;
  size: number;
}

export interface ClassifierStepSpec extends StepSpec {
  model: string;
}

/** A step to time (it returns the loss before its update) and the cleanup after it. */
export interface TimedStep {
  step: () => number;
  dispose: () => void;
}

/**
 * The fixed random batch every classifier row trains on (normal images, uniform labels as one-hot
 * rows, 10 classes), and the seed-0 stream after it for the model.
 */
export function fixedBatch(spec: StepSpec): { rng: Rng; x: tf.Tensor4D; y: tf.Tensor2D } {
  const rng = new Rng(0);
  const x = rng.normalTensor([spec.batch, spec.size, spec.size, spec.channels]) as tf.Tensor4D;
  const labels = Array.from({ length: spec.batch }, () => rng.int(10));
  const y = tf.tidy(() => tf.cast(tf.oneHot(labels, 10), 'float32')) as tf.Tensor2D;
  return { rng, x, y };
}

/**
 * The training every classifier row times: `tf.variableGrads` of `loss` over `variables`, then
 * SGD with Nesterov momentum 0.9, weight decay 5e-4 and learning rate 0.1 (the peer's recipe)
 * through perturb's optimizer, so rows differ only in how the model is written (a row whose peer
 * uses another rate passes it as `lr`). Its cleanup frees the optimizer, then calls `free` (the
 * model's and the batch's).
 */
export function sgdTraining(
  variables: tf.Variable[],
  loss: () => tf.Scalar,
  free: () => void,
  lr = 0.1,
): TimedStep {
  const optimizer = createOptimizer(
    { name: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
    variables.map((v) => [v.name, v]),
  );
  return {
    step: () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(loss, variables);
        optimizer.step(grads, { lr });
        return value.dataSync()[0];
      }),
    dispose: () => {
      optimizer.dispose();
      free();
    },
  };
}

/** Builds perturb's classifier `spec.model` and a fixed random batch; returns the step to time and a cleanup. */
export function classifierStep(spec: ClassifierStepSpec): TimedStep {
  const { rng, x, y } = fixedBatch(spec);
  const model = createClassifier(spec.model, { rng, inChannels: spec.channels, numClasses: 10 });
  return sgdTraining(
    model.parameters(),
    () => crossEntropy(model.logits(x, { training: true }), y),
    () => {
      model.dispose();
      tf.dispose([x, y]);
    },
  );
}
