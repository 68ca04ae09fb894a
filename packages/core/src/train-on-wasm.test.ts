/** Conv nets train on the wasm backend with perturb's training kernels registered. */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend';
import { assertNoTensorLeak } from './leaks';
import { Module } from './module';
import { BatchNorm2d, Conv2d, Linear } from './nn';
import { Rng } from './rng';

/** A small batch whose label is which half of the image is brighter: learnable in a few steps. */
function toyBatch(rng: Rng, size: number): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const labels = Array.from({ length: size }, (_, i) => i % 2);
  const x = tf.tidy(() => {
    const noise = rng.normalTensor([size, 8, 8, 2], 0, 0.5);
    const left = tf.concat([tf.ones([1, 8, 4, 2]), tf.zeros([1, 8, 4, 2])], 2);
    const right = tf.reverse(left, 2);
    const signal = tf.concat(
      labels.map((l) => (l === 0 ? left : right)),
      0,
    );
    return tf.add(noise, signal) as tf.Tensor4D;
  });
  return { x, y: tf.oneHot(tf.tensor1d(labels, 'int32'), 2) as tf.Tensor2D };
}

class RawNet extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly head: Linear;

  constructor(rng: Rng) {
    super();
    this.conv1 = this.addModule('conv1', new Conv2d(rng.child('conv1'), 2, 8, { bias: false }));
    this.bn1 = this.addModule('bn1', new BatchNorm2d(8));
    this.conv2 = this.addModule('conv2', new Conv2d(rng.child('conv2'), 8, 8, { stride: 2 }));
    this.head = this.addModule('head', new Linear(rng.child('head'), 8, 2));
  }

  forward(x: tf.Tensor4D): tf.Tensor2D {
    const h = tf.relu(this.conv2.forward(tf.relu(this.bn1.forward(this.conv1.forward(x)))));
    return this.head.forward(tf.mean(h, [1, 2]) as tf.Tensor2D);
  }
}

describe('training conv nets on wasm', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', log: false });
  });

  it('uses the wasm backend', () => {
    expect(tf.getBackend()).toBe('wasm');
  });

  it('a tfjs-layers Conv2D→BatchNorm→ReLU→DepthwiseConv2D→pool→Dense model lowers its loss', async () => {
    const { x, y } = toyBatch(new Rng(10), 16);
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({
          inputShape: [8, 8, 2],
          filters: 8,
          kernelSize: 3,
          padding: 'same',
          kernelInitializer: tfl.initializers.heNormal({ seed: 1 }),
        }),
        tfl.layers.batchNormalization(),
        tfl.layers.reLU(),
        tfl.layers.depthwiseConv2d({
          kernelSize: 3,
          strides: 2,
          padding: 'same',
          depthwiseInitializer: tfl.initializers.heNormal({ seed: 2 }),
        }),
        tfl.layers.globalAveragePooling2d({}),
        tfl.layers.dense({
          units: 2,
          activation: 'softmax',
          kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }),
        }),
      ],
    });
    model.compile({ optimizer: tf.train.sgd(0.5), loss: 'categoricalCrossentropy' });
    const history = await model.fit(x, y, { epochs: 12, batchSize: 16, shuffle: false, verbose: 0 });
    const losses = history.history.loss as number[];
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.9);
    model.dispose();
    tf.dispose([x, y]);
  });

  describe('a raw-ops Conv2d/BatchNorm2d/Linear model with tf.variableGrads and plain SGD', () => {
    const rng = new Rng(20);
    let net: RawNet;
    let batch: { x: tf.Tensor4D; y: tf.Tensor2D };
    const sgdStep = (lr: number): number =>
      tf.tidy(() => {
        const params = net.parameters() as tf.Variable[];
        const { value, grads } = tf.variableGrads(
          () => tf.losses.softmaxCrossEntropy(batch.y, net.forward(batch.x)),
          params,
        );
        for (const p of params) p.assign(tf.sub(p, tf.mul(grads[p.name], lr)));
        return value.dataSync()[0];
      });

    beforeAll(() => {
      net = new RawNet(rng.child('net'));
      batch = toyBatch(rng.child('data'), 16);
    });

    it('lowers its loss', () => {
      const losses = Array.from({ length: 8 }, () => sgdStep(0.1));
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.9);
    });

    it('leaks no tensors across steps', async () => {
      await assertNoTensorLeak(() => sgdStep(0.01), { warmup: 1, iterations: 3 });
    });
  });
});
