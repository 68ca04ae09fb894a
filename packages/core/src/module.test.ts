import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend';
import { Module } from './module';
import { BatchNorm2d, Conv2d, Linear } from './nn';
import { Rng } from './rng';

class Net extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;
  readonly fc: Linear;
  constructor(seed: number) {
    super();
    const rng = new Rng(seed);
    this.conv = this.addModule('conv', new Conv2d(rng, 2, 4, { bias: false }));
    this.bn = this.addModule('bn', new BatchNorm2d(4));
    this.fc = this.addModule('fc', new Linear(rng, 4, 3));
  }
  forward(x: tf.Tensor4D): tf.Tensor2D {
    return this.fc.forward(tf.mean(tf.relu(this.bn.forward(this.conv.forward(x))), [1, 2]) as tf.Tensor2D);
  }
}

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

describe('Module', () => {
  it('names parameters and buffers with dotted paths', () => {
    const net = new Net(0);
    expect(net.namedParameters().map(([n]) => n)).toEqual([
      'conv.weight',
      'bn.gamma',
      'bn.beta',
      'fc.weight',
      'fc.bias',
    ]);
    expect(net.namedBuffers().map(([n]) => n)).toEqual(['bn.runningMean', 'bn.runningVar']);
    expect(net.numParameters()).toBe(3 * 3 * 2 * 4 + 4 + 4 + 4 * 3 + 3);
    net.dispose();
  });

  it('propagates train/eval mode to children', () => {
    const net = new Net(0);
    net.eval();
    expect(net.bn.training).toBe(false);
    net.train();
    expect(net.bn.training).toBe(true);
    net.dispose();
  });

  it('loads a state dict into a differently seeded twin', () => {
    const a = new Net(1);
    const b = new Net(2);
    const x = new Rng(9).uniformTensor([2, 5, 5, 2]) as tf.Tensor4D;
    a.eval();
    b.eval();
    expect(tf.max(tf.abs(tf.sub(a.forward(x), b.forward(x)))).dataSync()[0]).toBeGreaterThan(1e-3);
    b.loadStateDict(a.stateDict());
    expect(Array.from(b.forward(x).dataSync())).toEqual(Array.from(a.forward(x).dataSync()));
    a.dispose();
    b.dispose();
  });

  it('rejects a state dict with missing names or wrong shapes, naming them', () => {
    const net = new Net(0);
    expect(() => net.loadStateDict({})).toThrow(/missing \[conv.weight/);
    const state = { ...net.stateDict(), 'fc.bias': tf.zeros([4]) };
    expect(() => net.loadStateDict(state)).toThrow(/"fc.bias" has shape \[4\]/);
    net.dispose();
  });

  it('rejects duplicate and dotted names', () => {
    class Bad extends Module {
      constructor(name: string) {
        super();
        this.addParameter('w', tf.zeros([1]));
        this.addParameter(name, tf.zeros([1]));
      }
    }
    expect(() => new Bad('w')).toThrow(/registered twice/);
    expect(() => new Bad('a.b')).toThrow(/invalid state name/);
  });

  it('BatchNorm2d gradient matches the autodiff of the plain formula', () => {
    const rng = new Rng(4);
    const bn = new BatchNorm2d(3);
    const x = rng.normalTensor([2, 3, 3, 3], 1, 2) as tf.Tensor4D;
    const w = rng.normalTensor([2, 3, 3, 3]);
    const plain = (input: tf.Tensor) => {
      const { mean, variance } = tf.moments(input, [0, 1, 2]);
      return tf.sum(
        tf.mul(
          tf.add(tf.mul(tf.div(tf.sub(input, mean), tf.sqrt(tf.add(variance, 1e-5))), bn.gamma), bn.beta),
          w,
        ),
      );
    };
    const ours = (input: tf.Tensor) => tf.sum(tf.mul(bn.forward(input as tf.Tensor4D, true), w));
    const gPlain = tf.grad(plain)(x);
    const gOurs = tf.grad(ours)(x);
    expect(tf.max(tf.abs(tf.sub(gPlain, gOurs))).dataSync()[0]).toBeLessThan(1e-4);
    const dgPlain = tf.variableGrads(() => plain(x) as tf.Scalar, [bn.gamma]).grads[bn.gamma.name];
    const dgOurs = tf.variableGrads(() => ours(x) as tf.Scalar, [bn.gamma]).grads[bn.gamma.name];
    expect(tf.max(tf.abs(tf.sub(dgPlain, dgOurs))).dataSync()[0]).toBeLessThan(1e-4);
    // eval mode uses the running statistics, which training-mode calls moved towards the batch's
    expect(bn.runningMean.dataSync()[0]).not.toBe(0);
    bn.dispose();
  });

  it('BatchNorm2d in eval mode computes tf.batchNorm with the running statistics, gradients included', () => {
    const rng = new Rng(5);
    const bn = new BatchNorm2d(3);
    bn.gamma.assign(rng.normalTensor([3], 1, 0.5) as tf.Tensor1D);
    bn.beta.assign(rng.normalTensor([3]) as tf.Tensor1D);
    bn.runningMean.assign(rng.normalTensor([3]) as tf.Tensor1D);
    bn.runningVar.assign(tf.abs(rng.normalTensor([3], 1, 0.5)) as tf.Tensor1D);
    const x = rng.normalTensor([2, 3, 3, 3], 1, 2) as tf.Tensor4D;
    const w = rng.normalTensor([2, 3, 3, 3]);
    const [mean, variance] = [bn.runningMean as tf.Tensor1D, bn.runningVar as tf.Tensor1D];
    const stockY = (input: tf.Tensor) =>
      tf.batchNorm4d(
        input as tf.Tensor4D,
        mean,
        variance,
        bn.beta as tf.Tensor1D,
        bn.gamma as tf.Tensor1D,
        1e-5,
      );
    const stock = (input: tf.Tensor) => tf.sum(tf.mul(stockY(input), w)) as tf.Scalar;
    const ours = (input: tf.Tensor) =>
      tf.sum(tf.mul(bn.forward(input as tf.Tensor4D, false), w)) as tf.Scalar;
    const gap = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
    expect(gap(bn.forward(x, false), stockY(x))).toBeLessThan(1e-5);
    expect(gap(tf.grad(ours)(x), tf.grad(stock)(x))).toBeLessThan(1e-4);
    const params = [bn.gamma, bn.beta];
    const stockGrads = tf.variableGrads(() => stock(x), params).grads;
    const ourGrads = tf.variableGrads(() => ours(x), params).grads;
    for (const p of params) expect(gap(ourGrads[p.name], stockGrads[p.name])).toBeLessThan(1e-4);
    bn.dispose();
  });
});
