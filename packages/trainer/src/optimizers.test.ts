import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createOptimizer } from './optimizers';

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

  it('rejects negative weight decay', () => {
    expect(() => createOptimizer({ name: 'sgd', weightDecay: -1 }, [])).toThrow(/weight decay -1 is invalid/);
  });
});
