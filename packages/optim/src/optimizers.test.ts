import * as tf from '@tensorflow/tfjs-core';
import { initBackend, parseOptions } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createOptimizer, globalNorm, optimizerSchema } from './optimizers';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

/** Runs `steps` optimizer steps on f(p) = ½·p² (gradient p) from p = 1 and returns p after each. */
function trajectory(config: Parameters<typeof createOptimizer>[0], lr: number, steps: number): number[] {
  const p = tf.variable(tf.scalar(1));
  const opt = createOptimizer(config, [['p', p]]);
  const out: number[] = [];
  for (let i = 0; i < steps; i++) {
    opt.step({ [p.name]: p.clone() }, { lr });
    out.push(p.dataSync()[0]);
  }
  opt.dispose();
  p.dispose();
  return out;
}

describe('optimizers', () => {
  it("SGD with Nesterov momentum and weight decay follows PyTorch's rule", () => {
    // g = p + wd·p; buf = g (first), then 0.9·buf + g; update g + 0.9·buf
    let p = 1;
    let buf = 0;
    const expected: number[] = [];
    for (let i = 0; i < 3; i++) {
      const g = p + 0.1 * p;
      buf = i === 0 ? g : 0.9 * buf + g;
      p -= 0.1 * (g + 0.9 * buf);
      expected.push(p);
    }
    const got = trajectory({ name: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 0.1 }, 0.1, 3);
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
  });

  it('Adam and Adamax take a first step of size lr', () => {
    expect(trajectory({ name: 'adam' }, 0.01, 1)[0]).toBeCloseTo(0.99, 6);
    expect(trajectory({ name: 'adamax' }, 0.01, 1)[0]).toBeCloseTo(0.99, 6);
  });

  it('restores its slots exactly from state()', () => {
    const p = tf.variable(tf.tensor([1, -2]));
    const a = createOptimizer({ name: 'adam' }, [['p', p]]);
    a.step({ [p.name]: tf.tensor([0.5, 0.25]) }, { lr: 0.1 });
    const q = tf.variable(p.clone());
    const b = createOptimizer({ name: 'adam' }, [['p', q]]);
    b.loadState(a.state());
    a.step({ [p.name]: tf.tensor([0.1, -0.3]) }, { lr: 0.1 });
    b.step({ [q.name]: tf.tensor([0.1, -0.3]) }, { lr: 0.1 });
    expect(Array.from(q.dataSync())).toEqual(Array.from(p.dataSync()));
  });

  it.each([
    [{ name: 'sgd', weightDecay: -1 }, '"weightDecay" is -1 in the optimizer options. use a value ≥ 0'],
    [{ name: 'rmsprop' }, '"name" is "rmsprop" in the optimizer options. use one of sgd, adam, adamax'],
    ['rmsprop', '"rmsprop" in the optimizer options. use one of sgd, adam, adamax'],
    [{ name: 'sgd', momentum: 'high' }, '"momentum" is "high" in the optimizer options. use a number'],
    [
      { name: 'sgd', momentun: 0.5 },
      '"momentun" is not a setting of the optimizer options. did you mean "momentum"?',
    ],
    [{ name: 'adam', beta2: 1 }, '"beta2" is 1 in the optimizer options. use a value < 1'],
  ])('refuses %j with one clear message', (config, message) => {
    expect(() => createOptimizer(config as never, [])).toThrow(message);
  });

  it("reads a name alone as that optimizer with its defaults ('sgd' trains with SGD, not Adam)", () => {
    expect(trajectory('sgd', 0.1, 3)).toEqual(trajectory({ name: 'sgd', momentum: 0.9 }, 0.1, 3));
    expect(trajectory('sgd', 0.1, 3)).not.toEqual(trajectory('adam', 0.1, 3));
  });

  it('schema fills the defaults a config leaves out', () => {
    expect(parseOptions(optimizerSchema, 'adam', 'a.yaml')).toEqual({
      name: 'adam',
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      weightDecay: 0,
    });
  });
});

describe('optimizer layouts', () => {
  const configs = [
    { name: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 0.01 },
    { name: 'adam', weightDecay: 0.01 },
    { name: 'adamax' },
  ] as const;

  /** Parameters of two shapes after three steps with varying gradients and a gradient scale. */
  function run(config: (typeof configs)[number], layout: 'flat' | 'per-parameter'): number[] {
    const a = tf.variable(tf.tensor([1, -2, 0.5]));
    const b = tf.variable(tf.tensor([[0.3, 0.7]]));
    const opt = createOptimizer(
      config,
      [
        ['a', a],
        ['b', b],
      ],
      { layout },
    );
    for (let t = 1; t <= 3; t++) {
      const grads = { [a.name]: tf.tensor([0.5 * t, -0.2, 0.1]), [b.name]: tf.tensor([[t * 0.3, -0.4]]) };
      opt.step(grads, { lr: 0.05, gradientScale: t === 2 ? 0.5 : 1 });
      tf.dispose(Object.values(grads));
    }
    const out = [...a.dataSync(), ...b.dataSync()];
    opt.dispose();
    tf.dispose([a, b]);
    return out;
  }

  it.each(configs)('flat and per-parameter layouts take the same steps ($name)', (config) => {
    const flat = run(config, 'flat');
    run(config, 'per-parameter').forEach((v, i) => expect(flat[i]).toBeCloseTo(v, 6));
  });

  it("Adam follows PyTorch's rule over several steps", () => {
    const [b1, b2, eps, lr] = [0.9, 0.999, 1e-8, 0.1];
    let [m, v, expected] = [0, 0, 1];
    const p = tf.variable(tf.scalar(1));
    const opt = createOptimizer({ name: 'adam' }, [['p', p]], { layout: 'flat' });
    [0.5, -0.2, 0.3].forEach((g, i) => {
      const t = i + 1;
      opt.step({ [p.name]: tf.scalar(g) }, { lr });
      m = b1 * m + (1 - b1) * g;
      v = b2 * v + (1 - b2) * g * g;
      expected -= ((lr / (1 - b1 ** t)) * m) / (Math.sqrt(v) / Math.sqrt(1 - b2 ** t) + eps);
    });
    expect(p.dataSync()[0]).toBeCloseTo(expected, 6);
    expect(opt.steps).toBe(3);
    opt.dispose();
    p.dispose();
  });

  it('refuses to restore state saved for different parameter shapes', () => {
    const p = tf.variable(tf.zeros([3]));
    const q = tf.variable(tf.zeros([4]));
    const a = createOptimizer({ name: 'adam' }, [['p', p]], { layout: 'flat' });
    const b = createOptimizer({ name: 'adam' }, [['p', q]], { layout: 'flat' });
    a.step({ [p.name]: tf.ones([3]) }, { lr: 0.1 });
    b.step({ [q.name]: tf.ones([4]) }, { lr: 0.1 });
    expect(() => b.loadState(a.state())).toThrow(/shape \[3\] but the model needs \[4\]/);
    tf.dispose([p, q]);
    a.dispose();
    b.dispose();
  });

  it('globalNorm is the L2 norm over all gradients', () => {
    const n = globalNorm([tf.tensor([3]), tf.tensor([[4]])]);
    expect(n.dataSync()[0]).toBeCloseTo(5, 6);
  });
});
