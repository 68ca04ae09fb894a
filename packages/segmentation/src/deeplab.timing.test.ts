/**
 * Times DeepLabV3+ SGD steps (forward, backward, update) on wasm for 64×64 Fashion-MNIST
 * scenes. Skipped unless PERTURB_TIMING=1:
 *   cd packages/segmentation && PERTURB_TIMING=1 PERTURB_WASM_THREADS=1 npx vitest run src/deeplab.timing.test.ts
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng, initBackend } from '@perturb/core';
import { describe, expect, it } from 'vitest';
import { type DeepLabV3PlusOptions, DeepLabV3Plus } from './deeplab';
import { segmentationCrossEntropy } from './task';

const CONFIGS: Array<{
  name: string;
  batch: number;
  options: Omit<DeepLabV3PlusOptions, 'rng' | 'numClasses'>;
}> = [
  {
    name: 'ResNet-18 (width 16, 32 channels), CIFAR stem, OS 8, rates 1/2/3',
    batch: 16,
    options: {
      backbone: 'resnet18',
      stem: 'cifar',
      width: 16,
      channels: 32,
      outputStride: 8,
      atrousRates: [1, 2, 3],
    },
  },
  {
    name: 'ResNet-18 (width 64, 256 channels), ImageNet stem, OS 16, rates 6/12/18',
    batch: 8,
    options: { backbone: 'resnet18', stem: 'imagenet', outputStride: 16 },
  },
  {
    name: 'ResNet-18 (width 64, 256 channels), ImageNet stem, OS 8, rates 12/24/36',
    batch: 8,
    options: { backbone: 'resnet18', stem: 'imagenet', outputStride: 8 },
  },
];

describe.skipIf(process.env.PERTURB_TIMING !== '1')('DeepLabV3+ step timing on wasm', () => {
  it('times SGD steps on 64×64 scenes', { timeout: 900_000 }, async () => {
    await initBackend({ backend: 'wasm', log: false });
    const lines: string[] = [];
    for (const { name, batch, options } of CONFIGS) {
      const rng = new Rng(0);
      const model = new DeepLabV3Plus({ rng: rng.child('model'), numClasses: 11, inChannels: 1, ...options });
      const x = rng.uniformTensor([batch, 64, 64, 1]) as tf.Tensor4D;
      const labels = tf.tensor3d(
        Array.from({ length: batch * 64 * 64 }, () => rng.int(11)),
        [batch, 64, 64],
        'int32',
      );
      const optimizer = tf.train.momentum(0.01, 0.9);
      const step = () =>
        optimizer.minimize(
          () => segmentationCrossEntropy(model.logits(x, { training: true }), labels),
          false,
          model.parameters(),
        );
      step(); // warm-up
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        const start = performance.now();
        step();
        times.push(performance.now() - start);
      }
      times.sort((a, b) => a - b);
      lines.push(
        `${name}, batch ${batch}: ${times[1].toFixed(0)} ms a step (${model.numParameters()} parameters)`,
      );
      tf.dispose([x, labels]);
      optimizer.dispose();
      model.dispose();
    }
    console.log(lines.join('\n'));
    expect(lines).toHaveLength(CONFIGS.length);
  });
});
