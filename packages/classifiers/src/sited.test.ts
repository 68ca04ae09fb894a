import * as tf from '@tensorflow/tfjs-core';
import { Rng, initBackend } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createClassifier } from './factory';
import type { Stage } from './layers/stage';
import type { FeatureLayer } from './layers/stage';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe('block-level feature sites', () => {
  it('lists every block of resnet20 in forward order, the last of a stage under the stage name', () => {
    const model = createClassifier('resnet20', { rng: new Rng(0) });
    expect(model.sites).toEqual([
      'stem',
      'stage1.block0',
      'stage1.block1',
      'stage1',
      'stage2.block0',
      'stage2.block1',
      'stage2',
      'stage3.block0',
      'stage3.block1',
      'stage3',
    ]);
    model.dispose();
  });

  it('gives EfficientNet-B0 one site per MBConv block, none inside a one-block stage', () => {
    const model = createClassifier('efficientnet-b0', { rng: new Rng(0) });
    expect(model.sites.slice(0, 7)).toEqual([
      'stem',
      'stage1',
      'stage2.block0',
      'stage2',
      'stage3.block0',
      'stage3',
      'stage4.block0',
    ]);
    // 16 blocks in 7 stages, the stem and the top.
    expect(model.sites).toHaveLength(18);
    expect(model.sites.slice(-3)).toEqual(['stage6', 'stage7', 'top']);
    model.dispose();
  });

  it('keeps the stage-level features exactly: head at a stage equals the stem and stages run whole', () => {
    const model = createClassifier('resnet20', { rng: new Rng(3), inChannels: 1 });
    const x = new Rng(4).uniformTensor([2, 8, 8, 1]) as tf.Tensor4D;
    const child = (name: string) =>
      model.namedChildren().find(([n]) => n === name)![1] as unknown as FeatureLayer;
    for (const training of [false, true]) {
      const split = model.head(x, 'stage2', { training });
      const whole = tf.tidy(() =>
        (child('stage2') as Stage).forward(
          child('stage1').forward(child('stem').forward(x, training), training),
          training,
        ),
      );
      expect(maxAbsDiff(split, whole)).toBe(0);
      tf.dispose([split, whole]);
    }
    x.dispose();
    model.dispose();
  });

  it('holds the nine sites of the official L-ALFA script on resnet56', () => {
    const model = createClassifier('resnet56', { rng: new Rng(0) });
    const official = ['stem', 'stage1.block3', 'stage1.block6', 'stage2.block0', 'stage2.block4'];
    for (const site of [...official, 'stage2.block7', 'stage3.block1', 'stage3.block5', 'stage3'])
      expect(model.sites).toContain(site);
    const x = tf.zeros([1, 4, 4, 3]) as tf.Tensor4D;
    expect(() => model.head(x, 'stage3.block8')).toThrow(/'stage3'/);
    tf.dispose(x);
    model.dispose();
  });
});
