/**
 * ResNet-20 as a TensorFlow.js user writes it without perturb: `tf.variable`s, `tf.conv2d`,
 * batch norm from `tf.moments` and `tf.batchNorm`, `tf.relu`, global average pooling with
 * `tf.mean`. It times whether perturb's kernels and gradients
 * reach code that knows nothing of perturb's layers.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@perturb/core';
import { fixedBatch, sgdTraining, type StepSpec, type TimedStep } from './classifier-step';

interface ConvBn {
  filter: tf.Variable;
  gamma: tf.Variable;
  beta: tf.Variable;
  stride: number;
}

interface Block {
  first: ConvBn;
  second: ConvBn;
  shortcut: ConvBn | null;
}

/** A trainable variable holding `init()`, whose own tensor is freed. */
function variable(init: () => tf.Tensor): tf.Variable {
  return tf.tidy(() => tf.variable(init()));
}

function convBn(rng: Rng, kernel: number, cin: number, cout: number, stride: number): ConvBn {
  const std = Math.sqrt(2 / (kernel * kernel * cin)); // He-normal, as perturb's own ResNet
  return {
    filter: variable(() => rng.normalTensor([kernel, kernel, cin, cout], 0, std)),
    gamma: variable(() => tf.ones([cout])),
    beta: variable(() => tf.zeros([cout])),
    stride,
  };
}

function applyConvBn(layer: ConvBn, x: tf.Tensor4D): tf.Tensor4D {
  const y = tf.conv2d(x, layer.filter as tf.Tensor4D, layer.stride, 'same');
  const { mean, variance } = tf.moments(y, [0, 1, 2]);
  return tf.batchNorm(y, mean, variance, layer.beta, layer.gamma, 1e-5) as tf.Tensor4D;
}

/** The parameters of ResNet-20 (3 stages of 3 basic blocks, 16/32/64 channels) and its forward pass. */
export function rawOpsResNet20(rng: Rng, inChannels: number, numClasses: number) {
  const stem = convBn(rng.child('stem'), 3, inChannels, 16, 1);
  const blocks: Block[] = [];
  let cin = 16;
  [16, 32, 64].forEach((cout, stage) => {
    for (let b = 0; b < 3; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      const r = rng.child(`stage${stage}.block${b}`);
      blocks.push({
        first: convBn(r.child('conv1'), 3, cin, cout, stride),
        second: convBn(r.child('conv2'), 3, cout, cout, 1),
        shortcut: stride !== 1 || cin !== cout ? convBn(r.child('shortcut'), 1, cin, cout, stride) : null,
      });
      cin = cout;
    }
  });
  const bound = 1 / Math.sqrt(cin);
  const head = {
    w: variable(() => rng.child('head').uniformTensor([cin, numClasses], -bound, bound)),
    b: variable(() => tf.zeros([numClasses])),
  };
  const layers = [stem, ...blocks.flatMap((b) => [b.first, b.second, ...(b.shortcut ? [b.shortcut] : [])])];
  const variables = [...layers.flatMap((l) => [l.filter, l.gamma, l.beta]), head.w, head.b];
  const logits = (x: tf.Tensor4D): tf.Tensor2D => {
    let h = tf.relu(applyConvBn(stem, x));
    for (const block of blocks) {
      const y = applyConvBn(block.second, tf.relu(applyConvBn(block.first, h)));
      h = tf.relu(tf.add(y, block.shortcut ? applyConvBn(block.shortcut, h) : h)) as tf.Tensor4D;
    }
    const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D;
    return tf.add(tf.matMul(pooled, head.w as tf.Tensor2D), head.b);
  };
  return { logits, variables };
}

/** One SGD step of {@link rawOpsResNet20}, loss from `tf.losses.softmaxCrossEntropy`. */
export function rawOpsResNetStep(spec: StepSpec): TimedStep {
  const { rng, x, y } = fixedBatch(spec);
  const model = rawOpsResNet20(rng.child('model'), spec.channels, 10);
  return sgdTraining(
    model.variables,
    () => tf.losses.softmaxCrossEntropy(y, model.logits(x)) as tf.Scalar,
    () => tf.dispose([...model.variables, x, y]),
  );
}
