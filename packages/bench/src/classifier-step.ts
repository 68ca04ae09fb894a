/** One SGD training step of a classifier, as the peer's `--bench` times it. */
import * as tf from '@tensorflow/tfjs-core';
import { createClassifier } from '@perturb/classifiers';
import { Rng, crossEntropy } from '@perturb/core';
import { createOptimizer } from '@perturb/optim';

export interface ClassifierStepSpec {
  model: string;
  batch: number;
  channels: number;
  size: number;
}

/** Builds the model and a fixed random batch; returns the step to time and a cleanup. */
export function classifierStep(spec: ClassifierStepSpec): { step: () => void; dispose: () => void } {
  const rng = new Rng(0);
  const model = createClassifier(spec.model, { rng, inChannels: spec.channels, numClasses: 10 });
  const optimizer = createOptimizer(
    { name: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
    model.namedParameters(),
  );
  const x = rng.normalTensor([spec.batch, spec.size, spec.size, spec.channels]) as tf.Tensor4D;
  const labels = Array.from({ length: spec.batch }, () => rng.int(10));
  const y = tf.tidy(() => tf.cast(tf.oneHot(labels, 10), 'float32')) as tf.Tensor2D;
  return {
    step: () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => crossEntropy(model.logits(x, { training: true }), y),
          model.parameters(),
        );
        optimizer.step(grads, { lr: 0.1 });
        value.dataSync();
      }),
    dispose: () => {
      optimizer.dispose();
      model.dispose();
      tf.dispose([x, y]);
    },
  };
}
