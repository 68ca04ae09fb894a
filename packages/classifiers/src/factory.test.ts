import * as tf from '@tensorflow/tfjs-core';
import { PerturbError, Rng, initBackend, models, parseOptions } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLASSIFIER_NAMES, createClassifier } from './factory';
import { heResNet } from './models/resnet';
import { WideResNet } from './models/preact-resnet';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

describe('createClassifier', () => {
  it('lists every model of the README table', () => {
    expect(CLASSIFIER_NAMES).toEqual([
      'resnet18',
      'resnet34',
      'resnet20',
      'resnet32',
      'resnet44',
      'resnet56',
      'resnet110',
      'preact-resnet18',
      'wrn-28-10',
      'lenet5',
      'efficientnet-b0',
    ]);
  });

  it('rejects an unknown name, listing the known ones', () => {
    expect(() => createClassifier('resnet19', { rng: new Rng(0) })).toThrow(PerturbError);
    expect(() => createClassifier('resnet19', { rng: new Rng(0) })).toThrow(/resnet20/);
  });

  it('builds grayscale models with the peer counts of --channels 1 and any number of classes', () => {
    const gray = createClassifier('resnet20', { rng: new Rng(0), inChannels: 1 });
    expect(gray.numParameters()).toBe(272_186);
    gray.dispose();
    const hundred = createClassifier('resnet20', { rng: new Rng(0), numClasses: 100 });
    expect(hundred.numClasses).toBe(100);
    expect(hundred.numParameters()).toBe(272_474 + 90 * 65);
    hundred.dispose();
  });
});

describe('model options', () => {
  it('rejects depths that do not fit the family', () => {
    expect(() => heResNet(21, { rng: new Rng(0) })).toThrow(/6n\+2/);
    expect(() => new WideResNet({ rng: new Rng(0), depth: 27 })).toThrow(/6n\+4/);
  });

  it('tells a LeNet-5 built for 32×32 inputs how to take 28×28 ones', () => {
    const lenet = createClassifier('lenet5', { rng: new Rng(0), inChannels: 1 });
    const mnist = tf.zeros([1, 28, 28, 1]) as tf.Tensor4D;
    expect(() => lenet.logits(mnist, { training: false })).toThrow(/inputSize: 28/);
    mnist.dispose();
    lenet.dispose();
  });

  it('downsamples the EfficientNet-B0 stem only when asked', () => {
    const x = tf.zeros([1, 32, 32, 3]) as tf.Tensor4D;
    for (const [stemStride, side] of [
      [1, 32],
      [2, 16],
    ] as const) {
      const net = createClassifier('efficientnet-b0', { rng: new Rng(0), stemStride });
      const stem = net.head(x, 'stem', { training: false });
      expect(stem.shape).toEqual([1, side, side, 32]);
      stem.dispose();
      net.dispose();
    }
    x.dispose();
  });
});

describe('the models registry', () => {
  it('holds every classifier, building it for the data it is given', () => {
    expect(CLASSIFIER_NAMES.filter((name) => !models.has(name))).toEqual([]);
    const lenet = models.get('lenet5');
    const net = lenet.create(parseOptions(lenet.schema, {}, 'lenet5 options'), {
      numClasses: 3,
      inputShape: [28, 28, 1],
      rng: new Rng(0),
    });
    const x = tf.zeros([2, 28, 28, 1]) as tf.Tensor4D;
    const logits = net.logits(x, { training: false }) as tf.Tensor;
    expect(logits.shape).toEqual([2, 3]);
    tf.dispose([x, logits]);
    net.dispose();
  });

  it('refuses options a model does not have, and suggests names', () => {
    expect(() =>
      parseOptions(models.get('efficientnet-b0').schema, { stemStrid: 2 }, 'model options'),
    ).toThrow(/did you mean "stemStride"/);
    expect(() => models.get('resnet19')).toThrow(/did you mean "resnet18"/);
  });
});
