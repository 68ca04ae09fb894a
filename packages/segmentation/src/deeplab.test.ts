import * as tf from '@tensorflow/tfjs-core';
import { PerturbError, Rng, assertNoTensorLeak, initBackend } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEEPLAB_SITES, DeepLabV3Plus, resizeBilinear } from './deeplab';
import { segmentationCrossEntropy } from './task';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

function tiny(
  outputStride: 8 | 16,
  stem: 'imagenet' | 'cifar' = 'imagenet',
  backbone: 'resnet18' | 'resnet50' = 'resnet18',
) {
  return new DeepLabV3Plus({
    rng: new Rng(outputStride),
    numClasses: 5,
    backbone,
    blocks: [1, 1, 1, 1],
    width: 4,
    channels: 8,
    lowLevelChannels: 4,
    stem,
    outputStride,
  });
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe('DeepLabV3+', () => {
  it('gives logits at the input size, features at output strides 8 and 16, and dilates the late stages', () => {
    for (const [os, stem, backbone] of [
      [16, 'imagenet', 'resnet18'],
      [8, 'imagenet', 'resnet50'],
      [16, 'cifar', 'resnet18'],
      [8, 'cifar', 'resnet50'],
    ] as const) {
      const model = tiny(os, stem, backbone);
      const x = new Rng(1).normalTensor([2, 32, 48, 3]) as tf.Tensor4D;
      const logits = model.logits(x, { training: true });
      expect(logits.shape).toEqual([2, 32, 48, 5]);
      expect(model.siteStrides.layer4).toBe(os);
      expect(model.siteStrides.aspp).toBe(os);
      expect(model.siteStrides[model.lowLevelSite]).toBe(4);
      expect(model.atrousRates).toEqual(os === 16 ? [6, 12, 18] : [12, 24, 36]);
      for (const site of DEEPLAB_SITES) {
        const f = model.head(x, site, { training: false });
        const stride = model.siteStrides[site];
        expect(f.shape).toEqual([2, 32 / stride, 48 / stride, model.featureChannels(site)]);
        f.dispose();
      }
      tf.dispose([x, logits]);
      model.dispose();
    }
  });

  it('tail(head(x, s), s) equals logits(x) at every site', () => {
    for (const os of [8, 16] as const) {
      const model = tiny(os).eval();
      const x = new Rng(2).normalTensor([2, 32, 32, 3]) as tf.Tensor4D;
      const logits = model.logits(x);
      for (const site of model.sites) {
        const f = model.head(x, site);
        const out = model.tail(f, site);
        expect(maxAbsDiff(out, logits)).toBeLessThan(1e-5);
        tf.dispose([f, out]);
      }
      tf.dispose([x, logits]);
      model.dispose();
    }
  });

  it('has gradients that match finite differences (tiny model, the input and each weight tensor)', () => {
    // Output stride 8 on the CIFAR stem: layer4 and the ASPP branches are dilated convolutions.
    const model = tiny(8, 'cifar').eval();
    const rng = new Rng(3);
    const x = rng.normalTensor([1, 16, 16, 3]) as tf.Tensor4D;
    const labels = tf.tensor3d(
      Array.from({ length: 256 }, (_, i) => (i % 7 === 0 ? 255 : i % 5)),
      [1, 16, 16],
      'int32',
    );
    const loss = (input: tf.Tensor4D) => segmentationCrossEntropy(model.logits(input), labels);
    const { grads } = tf.variableGrads(() => loss(x), model.parameters());
    const dx = tf.grad((input: tf.Tensor) => loss(input as tf.Tensor4D))(x);
    // Directional derivatives ⟨∇L, v⟩ against central differences along v: the network is
    // piecewise linear (ReLU, max), so a difference that steps over a kink is retried smaller.
    const agrees = (analytic: number, lossAlong: (e: number) => number) =>
      [1e-3, 3e-4].some((e) => {
        const numeric = (lossAlong(e) - lossAlong(-e)) / (2 * e);
        return Math.abs(numeric - analytic) <= 0.1 * Math.abs(analytic) + 2e-3;
      });
    const vx = rng.normalTensor(x.shape);
    const ax = tf.tidy(() => tf.sum(tf.mul(dx, vx)).dataSync()[0]);
    expect(
      agrees(ax, (e) => tf.tidy(() => loss(tf.add(x, tf.mul(vx, e)) as tf.Tensor4D).dataSync()[0])),
    ).toBe(true);
    const wrong: string[] = [];
    for (const p of model.parameters()) {
      const v = rng.normalTensor(p.shape);
      const saved = p.clone();
      const analytic = tf.tidy(() => tf.sum(tf.mul(grads[p.name], v)).dataSync()[0]);
      const along = (e: number) =>
        tf.tidy(() => {
          p.assign(tf.add(saved, tf.mul(v, e)));
          const value = loss(x).dataSync()[0];
          p.assign(saved);
          return value;
        });
      if (!agrees(analytic, along)) wrong.push(`${p.name} [${p.shape}]`);
      tf.dispose([v, saved]);
    }
    expect(wrong).toEqual([]);
    tf.dispose([x, labels, vx, dx, ...Object.values(grads)]);
    model.dispose();
  });

  it('trains a step without leaking tensors', async () => {
    const model = tiny(16);
    const x = new Rng(4).normalTensor([2, 32, 32, 3]) as tf.Tensor4D;
    const labels = tf.zeros([2, 32, 32], 'int32') as tf.Tensor3D;
    await assertNoTensorLeak(() => {
      const { value, grads } = tf.variableGrads(
        () => segmentationCrossEntropy(model.logits(x, { training: true }), labels),
        model.parameters(),
      );
      tf.dispose([value, ...Object.values(grads)]);
    });
    tf.dispose([x, labels]);
    model.dispose();
  });

  it('upsamples bilinearly with half-pixel centres, as tf.image.resizeBilinear does forward', () => {
    const x = new Rng(5).normalTensor([2, 3, 5, 4]) as tf.Tensor4D;
    for (const [h, w] of [
      [12, 20],
      [7, 9],
      [3, 5],
    ]) {
      const ours = resizeBilinear(x, h, w);
      const theirs = tf.image.resizeBilinear(x, [h, w], false, true);
      expect(maxAbsDiff(ours, theirs)).toBeLessThan(1e-5);
      tf.dispose([ours, theirs]);
    }
    x.dispose();
  });

  it('cross-entropy skips ignored pixels', () => {
    const logits = tf.tensor4d([2, 0, 0, 2, 5, -5], [1, 1, 3, 2]);
    const loss = segmentationCrossEntropy(logits, tf.tensor3d([0, 0, 255], [1, 1, 3], 'int32'));
    // Pixels: −log σ(2) and −log σ(−2); the third is ignored.
    const expected = (Math.log(1 + Math.exp(-2)) + Math.log(1 + Math.exp(2))) / 2;
    expect(loss.dataSync()[0]).toBeCloseTo(expected, 5);
    const none = segmentationCrossEntropy(logits, tf.tensor3d([255, 255, 255], [1, 1, 3], 'int32'));
    expect(none.dataSync()[0]).toBeCloseTo(0, 12);
  });

  it('refuses unknown sites, bad sizes and impossible strides with one line', () => {
    const model = tiny(16);
    const x = tf.zeros([1, 24, 24, 3]) as tf.Tensor4D;
    expect(() => model.logits(x)).toThrow(/multiples of 16, got 24×24/);
    expect(() => model.head(tf.zeros([1, 32, 32, 3]) as tf.Tensor4D, 'layer5')).toThrow(
      /no feature site "layer5"/,
    );
    expect(
      () => new DeepLabV3Plus({ rng: new Rng(0), numClasses: 3, stem: 'imagenet', outputStride: 4 }),
    ).toThrow(PerturbError);
    model.dispose();
  });
});
