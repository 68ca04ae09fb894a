import * as tf from '@tensorflow/tfjs-core';
import { type Batch, Rng, TinyClassifier, assertNoTensorLeak, initBackend } from '@perturb/core';
import { Glow } from '@perturb/flows';
import { beforeAll, describe, expect, it } from 'vitest';
import { latentAdversarial, latentRandom } from './index';

let flow: Glow;
let model: TinyClassifier;
let x: tf.Tensor4D;

/** Moves every parameter off its zero start, so the learned priors are not N(0, I). */
function perturbParameters(glow: Glow, rng: Rng): void {
  for (const p of glow.parameters()) tf.tidy(() => p.assign(tf.add(p, rng.normalTensor(p.shape, 0, 0.1))));
}

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
  const rng = new Rng(1);
  // Conditional couplings and a learned, class-conditional top prior.
  flow = new Glow({
    inputShape: [8, 8, 1],
    levels: 2,
    steps: 1,
    hidden: 8,
    conditionSize: 3,
    numClasses: 3,
    rng: rng.child('flow'),
  });
  x = rng.uniformTensor([3, 8, 8, 1], 0.2, 0.8) as tf.Tensor4D;
  const labels = tf.oneHot(tf.tensor1d([0, 1, 2], 'int32'), 3) as tf.Tensor2D;
  flow.initialize(x, labels);
  perturbParameters(flow, rng.child('perturb'));
  model = new TinyClassifier({ numClasses: 3, seed: 2 });
});

const ctx = (seed = 5) => ({ model, rng: new Rng(seed), step: 0, epoch: 0 });
const labelsOf = (rows: number[][]) => tf.tensor2d(rows) as tf.Tensor2D;
const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

describe('LA-Glow with a conditional flow', () => {
  it("latentRandom conditions the flow on each image's label and perturbs standardized latents", () => {
    const y = labelsOf([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    const out = latentRandom({ flow, epsilon: 0.3 }).transform!({ x, y }, ctx());
    // By hand: the same δ draws, added to the standardized latents, decoded with the labels.
    const expected = tf.tidy(() => {
      const rng = new Rng(5);
      const { latents } = flow.encode(x, { condition: y, latents: 'standardized' });
      const moved = latents.map((u) => tf.add(u, rng.normalTensor(u.shape, 0, 0.3))) as tf.Tensor4D[];
      return tf.clipByValue(flow.decode(moved, { condition: y, latents: 'standardized' }), 0, 1);
    });
    expect(maxAbsDiff(out.x, expected)).toBeLessThan(1e-5);
    // Raw latents are a different perturbation once the priors are learned.
    const raw = latentRandom({ flow, epsilon: 0.3, latents: 'raw' }).transform!({ x, y }, ctx());
    expect(maxAbsDiff(raw.x, out.x)).toBeGreaterThan(1e-3);
    tf.dispose([y, out.x, expected, raw.x]);
  });

  it('a soft label conditions on its argmax; labels of another width are one clear error', () => {
    const soft = labelsOf([
      [0.6, 0.3, 0.1],
      [0.2, 0.7, 0.1],
      [0.1, 0.1, 0.8],
    ]);
    const hard = tf.tidy(() => tf.oneHot(tf.argMax(soft, 1), 3) as tf.Tensor2D);
    const augmenter = latentRandom({ flow, epsilon: 0.3 });
    const [a, b] = [augmenter.transform!({ x, y: soft }, ctx()), augmenter.transform!({ x, y: hard }, ctx())];
    expect(maxAbsDiff(a.x, b.x)).toBe(0);
    const wrong = labelsOf([
      [1, 0],
      [0, 1],
      [1, 0],
    ]);
    expect(() => augmenter.transform!({ x, y: wrong }, ctx())).toThrow(
      /the flow is conditioned on 3 classes but the batch's labels have 2/,
    );
    tf.dispose([soft, hard, a.x, b.x, wrong]);
  });

  it('latentAdversarial attacks a conditional flow, clamps only its result, and leaks nothing', async () => {
    const y = labelsOf([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    const batch: Batch = { x, y };
    const augmenter = latentAdversarial({
      flow,
      norm: 'l2',
      epsilon: 3,
      stepSize: 1.5,
      steps: 2,
      bnMode: 'eval',
    });
    const out = augmenter.transform!(batch, ctx());
    expect(maxAbsDiff(out.x, x)).toBeGreaterThan(1e-3);
    expect(tf.min(out.x).dataSync()[0]).toBeGreaterThanOrEqual(0);
    expect(tf.max(out.x).dataSync()[0]).toBeLessThanOrEqual(1);
    tf.dispose(out.x);
    await assertNoTensorLeak(() => tf.dispose(augmenter.transform!(batch, ctx()).x));
    tf.dispose(y);
  });

  it('the attack sees the unclamped decode; only its result is clamped', () => {
    /** Records the largest pixel the classifier is shown. */
    class Watching extends TinyClassifier {
      largest = -Infinity;
      override logits(images: tf.Tensor4D, options: { training: boolean }) {
        this.largest = Math.max(
          this.largest,
          tf.tidy(() => tf.max(images).dataSync()[0]),
        );
        return super.logits(images, options);
      }
    }
    const watching = new Watching({ numClasses: 3, seed: 2 });
    const y = labelsOf([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    const out = latentAdversarial({
      flow,
      norm: 'l2',
      epsilon: 20,
      stepSize: 10,
      steps: 2,
      labels: 'true',
      bnMode: 'eval',
    }).transform!({ x, y }, { ...ctx(), model: watching });
    expect(watching.largest).toBeGreaterThan(1);
    expect(tf.max(out.x).dataSync()[0]).toBeLessThanOrEqual(1);
    tf.dispose([y, out.x]);
    watching.dispose();
  });

  it('the flow-lp preset of latentRandom is its defaults; dequantized encoding changes the draw', () => {
    const y = labelsOf([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    const [preset, defaults, dequantized] = [
      latentRandom({ flow, preset: 'flow-lp' }),
      latentRandom({ flow }),
      latentRandom({ flow, dequantize: true }),
    ].map((augmenter) => augmenter.transform!({ x, y }, ctx()).x);
    expect(maxAbsDiff(preset, defaults)).toBe(0);
    expect(maxAbsDiff(dequantized, defaults)).toBeGreaterThan(0);
    tf.dispose([y, preset, defaults, dequantized]);
  });
});
