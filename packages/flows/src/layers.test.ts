import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng, initBackend } from '@perturb/core';
import { ActNorm } from './actnorm';
import { checkFlowLayer } from './check-flow-layer';
import { AdditiveCoupling, AffineCoupling } from './coupling';
import { Sequential } from './flow-layer';
import { InvConv1x1, InvConv1x1LU } from './invconv';
import { Squeeze } from './squeeze';
import { perturbParameters } from './test-helpers';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

/** The standard small input of the layer tests: 1×4×4×2, so the Jacobian is 32×32. */
function smallInput(seed: number, shape: [number, number, number, number] = [1, 4, 4, 2]): tf.Tensor4D {
  return new Rng(seed).normalTensor(shape) as tf.Tensor4D;
}

/** Initializes ActNorms on a batch of their own, perturbs every parameter, then runs the battery. */
function expectValidFlowLayer(
  layer: Sequential | ActNorm | InvConv1x1 | InvConv1x1LU | AffineCoupling | AdditiveCoupling | Squeeze,
  seed: number,
) {
  const rng = new Rng(seed);
  const init = smallInput(seed + 1, [8, 4, 4, 2]);
  tf.tidy(() => {
    layer.forward(init);
  });
  perturbParameters(layer, rng.child('perturb'));
  const x = smallInput(seed + 2);
  const report = checkFlowLayer(layer, x);
  expect(report.inverseError).toBeLessThan(1e-4);
  expect(report.jacobianError).not.toBeNull();
  tf.dispose([init, x]);
  layer.dispose();
}

describe('flow layers pass the generic battery (shape, inverse, logdet, Jacobian)', () => {
  it('ActNorm', () => expectValidFlowLayer(new ActNorm(2), 1));
  it('InvConv1x1', () => expectValidFlowLayer(new InvConv1x1(new Rng(2), 2), 2));
  it('InvConv1x1LU', () => expectValidFlowLayer(new InvConv1x1LU(new Rng(3), 2), 3));
  it('AffineCoupling (sigmoid)', () =>
    expectValidFlowLayer(new AffineCoupling(new Rng(4), 2, { hidden: 8 }), 4));
  it('AffineCoupling (exp-tanh)', () =>
    expectValidFlowLayer(new AffineCoupling(new Rng(5), 2, { hidden: 8, scaleForm: 'exp-tanh' }), 5));
  it('AdditiveCoupling', () => expectValidFlowLayer(new AdditiveCoupling(new Rng(6), 2, { hidden: 8 }), 6));
  it('Squeeze', () => expectValidFlowLayer(new Squeeze(), 7));
  it('Sequential of a whole flow step', () => {
    const rng = new Rng(8);
    expectValidFlowLayer(
      new Sequential([
        new ActNorm(2),
        new InvConv1x1LU(rng.child('w'), 2),
        new AffineCoupling(rng.child('c'), 2, { hidden: 8 }),
      ]),
      8,
    );
  });
  it('the battery catches a wrong logdet', () => {
    class WrongLogdet extends ActNorm {
      override forward(x: tf.Tensor4D) {
        const out = super.forward(x);
        return { y: out.y, logdet: tf.mul(out.logdet, 2) as tf.Tensor1D };
      }
    }
    const layer = new WrongLogdet(2);
    const x = smallInput(9);
    tf.tidy(() => {
      layer.forward(tf.mul(x, 3) as tf.Tensor4D);
    });
    expect(() => checkFlowLayer(layer, x)).toThrow(/logdet/);
    x.dispose();
    layer.dispose();
  });
});

describe('ActNorm', () => {
  it('gives zero mean and unit variance per channel on its initialization batch', () => {
    const layer = new ActNorm(3);
    const x = tf.add(
      tf.mul(new Rng(10).normalTensor([16, 4, 4, 3]), tf.tensor1d([0.5, 2, 7])),
      tf.tensor1d([3, -1, 0.2]),
    ) as tf.Tensor4D;
    const { mean, variance } = tf.tidy(() => tf.moments(layer.forward(x).y, [0, 1, 2]));
    expect(Math.max(...mean.dataSync().map(Math.abs))).toBeLessThan(1e-5);
    for (const v of variance.dataSync()) expect(v).toBeCloseTo(1, 4);
    expect(layer.isInitialized).toBe(true);
    tf.dispose([x, mean, variance]);
    layer.dispose();
  });

  it('is not initialized again after loading a state dict', () => {
    const trained = new ActNorm(2);
    const first = smallInput(11, [8, 4, 4, 2]);
    tf.tidy(() => {
      trained.forward(first);
    });
    const loaded = new ActNorm(2);
    loaded.loadStateDict(trained.stateDict());
    expect(loaded.isInitialized).toBe(true);
    const other = tf.mul(smallInput(12), 5) as tf.Tensor4D;
    const [a, b] = tf.tidy(() => [trained.forward(other).y, loaded.forward(other).y]);
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBe(0);
    tf.dispose([first, other, a, b]);
    trained.dispose();
    loaded.dispose();
  });
});

describe('InvConv1x1LU', () => {
  it('starts orthogonal', () => {
    const layer = new InvConv1x1LU(new Rng(13), 6);
    const w = layer.weight();
    const gram = tf.matMul(w, w, false, true);
    expect(tf.max(tf.abs(tf.sub(gram, tf.eye(6)))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([w, gram]);
    layer.dispose();
  });

  it('recomputes its cached inverse when the weights change', () => {
    const layer = new InvConv1x1LU(new Rng(14), 4);
    const x = smallInput(15, [2, 2, 2, 4]);
    tf.tidy(() => {
      layer.inverse(x); // fills the cache with the initial weights
    });
    perturbParameters(layer, new Rng(16), 0.3);
    const error = tf.tidy(() => tf.max(tf.abs(tf.sub(layer.inverse(layer.forward(x).y).x, x))).dataSync()[0]);
    expect(error).toBeLessThan(1e-5);
    x.dispose();
    layer.dispose();
  });
});

describe('Squeeze', () => {
  it('uses the channel order of tf.depthToSpace', () => {
    const x = smallInput(17, [2, 4, 6, 3]);
    const squeeze = new Squeeze();
    const [y, viaDepthToSpace] = tf.tidy(() => {
      const out = squeeze.forward(x).y;
      return [out, tf.depthToSpace(out, 2)];
    });
    expect(y.shape).toEqual([2, 2, 3, 12]);
    expect(viaDepthToSpace.dataSync()).toEqual(x.dataSync());
    tf.dispose([x, y, viaDepthToSpace]);
  });

  it('rejects odd sizes with a PerturbError', () => {
    const x = tf.zeros([1, 3, 4, 1]) as tf.Tensor4D;
    expect(() => new Squeeze().forward(x)).toThrow(/even/);
    x.dispose();
  });
});
