/**
 * RoIAlign on the wasm backend, the one perturb trains on when no native backend is installed:
 * its matrix products (XNNPACK) must give torchvision's numbers too. A file of its own because
 * the tfjs backend is process-global.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { roiAlign } from './roi-align';
import { fixture, maxAbsDiff } from './test-support';

interface RoiCase {
  featureShape: [number, number, number, number];
  features: number[];
  boxes: number[];
  boxImageIndex: number[];
  outputSize: [number, number];
  spatialScale: number;
  samplingRatio: number;
  aligned: boolean;
  output: number[];
  upstream: number[];
  featureGrad: number[];
}

const { cases } = fixture<{ cases: RoiCase[] }>('roi-align.json');

beforeAll(async () => {
  await initBackend({ backend: 'wasm', threads: 1, log: false });
});

describe('roiAlign on wasm', () => {
  it('agrees with torchvision on every fixture case (values and feature gradients, 1e-5)', () => {
    expect(tf.getBackend()).toBe('wasm');
    for (const c of cases) {
      const { output, grad } = tf.tidy(() => {
        const features = tf.tensor4d(c.features, c.featureShape);
        const upstream = tf.tensor(c.upstream);
        const options = {
          outputSize: c.outputSize,
          spatialScale: c.spatialScale,
          samplingRatio: c.samplingRatio,
          aligned: c.aligned,
        };
        const pool = (f: tf.Tensor) => roiAlign(f as tf.Tensor4D, c.boxes, c.boxImageIndex, options);
        const g = tf.grad((f: tf.Tensor) => tf.sum(tf.mul(tf.reshape(pool(f), [-1]), upstream)))(features);
        return { output: Array.from(pool(features).dataSync()), grad: Array.from(g.dataSync()) };
      });
      expect(maxAbsDiff(output, c.output)).toBeLessThan(1e-5);
      expect(maxAbsDiff(grad, c.featureGrad)).toBeLessThan(1e-5);
    }
  });
});
