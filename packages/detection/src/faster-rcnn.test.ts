import * as tf from '@tensorflow/tfjs-core';
import { type Batch, PerturbError, Rng, assertNoTensorLeak, initBackend } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DetectorOutput } from './detector-output';
import type { FasterRcnn } from './faster-rcnn';
import { FASTER_RCNN_SITES } from './faster-rcnn';
import { tinyFasterRcnn } from './test-support';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

/** Two 32×32 images; the first has two objects, the second one (its second row is padding). */
function batch(): Batch & { boxes: { boxes: tf.Tensor3D; classes: tf.Tensor2D } } {
  return {
    x: new Rng(7).uniformTensor([2, 32, 32, 1]) as tf.Tensor4D,
    y: tf.tensor2d([1, 0, 0, 1], [2, 2]),
    boxes: {
      boxes: tf.tensor3d(
        [
          [
            [2, 3, 16, 20],
            [14, 10, 30, 28],
          ],
          [
            [5, 5, 25, 21],
            [0, 0, 0, 0],
          ],
        ],
        [2, 2, 4],
      ),
      classes: tf.tensor2d(
        [
          [0, 1],
          [1, -1],
        ],
        [2, 2],
        'int32',
      ),
    },
  };
}

/** Every tensor of an output, by path, as plain arrays. */
function values(output: DetectorOutput): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [part, fields] of Object.entries({ rpn: output.rpn, rois: output.rois })) {
    for (const [name, t] of Object.entries(fields)) if (t) out[`${part}.${name}`] = Array.from(t.dataSync());
  }
  return out;
}

function expectClose(a: DetectorOutput, b: DetectorOutput, tolerance: number): void {
  const va = values(a);
  const vb = values(b);
  expect(Object.keys(vb).sort()).toEqual(Object.keys(va).sort());
  for (const key of Object.keys(va)) {
    const worst = va[key].reduce((m, v, i) => Math.max(m, Math.abs(v - vb[key][i])), 0);
    expect(worst, key).toBeLessThan(tolerance);
  }
}

describe('FasterRcnn', () => {
  it('gives every output its documented shape, in inference and in training with targets', () => {
    const model = tinyFasterRcnn();
    const data = batch();
    // Anchors: 3 ratios at 16², 8², 4², 2², 1² cells (stride 2 … 32 on 32×32).
    const anchors = 3 * (256 + 64 + 16 + 4 + 1);
    const inference = model.logits(data.x, { training: false });
    expect(inference.imageSize).toEqual([32, 32]);
    expect(inference.rpn.anchors.shape).toEqual([anchors, 4]);
    expect(inference.rpn.objectness.shape).toEqual([2, anchors]);
    expect(inference.rpn.deltas.shape).toEqual([2, anchors, 4]);
    expect(inference.rpn.labels).toBeUndefined();
    expect(inference.rois.boxes.shape).toEqual([2, 10, 4]);
    expect(inference.rois.valid.shape).toEqual([2, 10]);
    expect(inference.rois.classLogits.shape).toEqual([2, 10, 3]);
    expect(inference.rois.boxDeltas.shape).toEqual([2, 10, 12]);
    expect(inference.rois.labels).toBeUndefined();

    const trained = model.logits(data.x, { training: true, targets: data, rng: new Rng(3) });
    expect(trained.rpn.labels!.shape).toEqual([2, anchors]);
    expect(trained.rpn.labels!.dtype).toBe('int32');
    expect(trained.rpn.matchedBoxes!.shape).toEqual([2, anchors, 4]);
    expect(trained.rois.boxes.shape).toEqual([2, 16, 4]);
    expect(trained.rois.classLogits.shape).toEqual([2, 16, 3]);
    expect(trained.rois.labels!.shape).toEqual([2, 16]);
    expect(trained.rois.matchedBoxes!.shape).toEqual([2, 16, 4]);

    // At most 256 anchors sampled per image, half positive at most; every ground-truth box has
    // a positive anchor (the low-quality rule), matched to it.
    const rpnLabels = trained.rpn.labels!.arraySync() as number[][];
    for (const row of rpnLabels) {
      expect(row.filter((l) => l >= 0).length).toBeLessThanOrEqual(256);
      expect(row.filter((l) => l === 1).length).toBeGreaterThan(0);
      expect(row.filter((l) => l === 1).length).toBeLessThanOrEqual(128);
    }
    // The ground-truth boxes are among the RoI candidates, so each image has foreground RoIs of
    // its classes (labels c + 1), at most a quarter of 16, matched to a ground-truth box.
    const roiLabels = trained.rois.labels!.arraySync() as number[][];
    const valid = trained.rois.valid.arraySync() as number[][];
    const matched = trained.rois.matchedBoxes!.arraySync() as number[][][];
    expect(new Set(roiLabels[0].filter((l) => l > 0))).toEqual(new Set([1, 2]));
    expect(new Set(roiLabels[1].filter((l) => l > 0))).toEqual(new Set([2]));
    roiLabels.forEach((row, i) => {
      expect(row.filter((l) => l > 0).length).toBeLessThanOrEqual(4);
      row.forEach((label, k) => {
        expect(label >= 0).toBe(valid[i][k] === 1);
        if (label === 0) expect(matched[i][k]).toEqual([0, 0, 0, 0]);
      });
    });
    expect(matched[1].filter((_, k) => roiLabels[1][k] > 0)[0]).toEqual([5, 5, 25, 21]);
    tf.dispose([inference, trained, data]);
    model.dispose();
  });

  it('gives the same numbers for the same seed and sampling stream, other samples for another stream', () => {
    const data = batch();
    const a = tinyFasterRcnn(4);
    const b = tinyFasterRcnn(4);
    const run = (model: FasterRcnn, seed: number) =>
      model.logits(data.x, { training: true, targets: data, rng: new Rng(seed) });
    const first = run(a, 11);
    const twin = run(b, 11);
    expect(values(twin)).toEqual(values(first));
    const other = run(a, 12);
    expect(Array.from(other.rpn.labels!.dataSync())).not.toEqual(Array.from(first.rpn.labels!.dataSync()));
    // Without a stream, the documented fixed one: two passes agree.
    const fixed = [a, a].map((m) => m.logits(data.x, { training: false, targets: data }));
    expect(values(fixed[1])).toEqual(values(fixed[0]));
    tf.dispose([first, twin, other, fixed, data]);
    a.dispose();
    b.dispose();
  });

  it('tail(head(x, s), s) equals logits(x) at every site, in eval and in training with targets', () => {
    const model = tinyFasterRcnn(2);
    const data = batch();
    for (const options of [{ training: false }, { training: true, targets: data, rng: new Rng(5) }]) {
      const whole = model.logits(data.x, options);
      for (const site of FASTER_RCNN_SITES) {
        const features = model.head(data.x, site, options);
        const split = model.tail(features, site, options);
        expectClose(whole, split, 1e-4);
        tf.dispose([features, split]);
      }
      tf.dispose(whole);
    }
    data.x.dispose();
    model.dispose();
  });

  it('packs what the tail needs into each site: the pyramid at the coarsest level, RoIs as [N, R·7, 7, C]', () => {
    const model = tinyFasterRcnn();
    const data = batch();
    const shape = (site: string) => {
      const f = model.head(data.x, site, { training: false });
      const s = f.shape;
      f.dispose();
      return s;
    };
    expect(shape('stem')).toEqual([2, 16, 16, 4]);
    expect(shape('layer1')).toEqual([2, 16, 16, 4]);
    expect(shape('layer2')).toEqual([2, 8, 8, 8 + 4 * 4]);
    expect(shape('fpn')).toEqual([2, 1, 1, 8 * (256 + 64 + 16 + 4 + 1)]);
    expect(shape('rpn')).toEqual([2, 1, 1, 8 * (256 + 64 + 16 + 4 + 1) + 8 * (256 + 64 + 16 + 4)]);
    expect(shape('roi')).toEqual([2, 10 * 7, 7, 8]);
    data.x.dispose();
    model.dispose();
  });

  it('perturbing the pyramid site changes the outputs (the tail reads the packed levels)', () => {
    const model = tinyFasterRcnn();
    const data = batch();
    const features = model.head(data.x, 'fpn', { training: false });
    const shifted = tf.add(features, 0.5) as tf.Tensor4D;
    const clean = model.tail(features, 'fpn', { training: false });
    const perturbed = model.tail(shifted, 'fpn', { training: false });
    const gap = tf.tidy(
      () => tf.max(tf.abs(tf.sub(clean.rpn.objectness, perturbed.rpn.objectness))).dataSync()[0],
    );
    expect(gap).toBeGreaterThan(1e-3);
    tf.dispose([features, shifted, clean, perturbed, data]);
    model.dispose();
  });

  it('passes a gradient to every parameter from a loss on its four outputs', () => {
    const model = tinyFasterRcnn(3);
    const data = batch();
    const loss = () =>
      tf.tidy(() => {
        const out = model.logits(data.x, { training: true, targets: data, rng: new Rng(1) });
        const weigh = (t: tf.Tensor, seed: number) => tf.sum(tf.mul(t, new Rng(seed).normalTensor(t.shape)));
        return tf.addN([
          weigh(out.rpn.objectness, 1),
          weigh(out.rpn.deltas, 2),
          weigh(out.rois.classLogits, 3),
          weigh(out.rois.boxDeltas, 4),
        ]) as tf.Scalar;
      });
    const { value, grads } = tf.variableGrads(loss, model.parameters());
    const names = model.namedParameters();
    const silent = names.filter(([, v]) => tf.tidy(() => tf.max(tf.abs(grads[v.name])).dataSync()[0]) === 0);
    expect(silent.map(([name]) => name)).toEqual([]);
    expect(names.length).toBe(Object.keys(grads).length);
    tf.dispose([value, grads, data]);
    model.dispose();
  });

  it('has gradients that match finite differences (RPN conv through objectness, box head through class logits)', () => {
    const model = tinyFasterRcnn(6);
    const data = batch();
    const options = { training: false };
    const cases: Array<[string, (out: DetectorOutput) => tf.Tensor]> = [
      ['rpn.conv.weight', (out) => out.rpn.objectness],
      ['boxHead.fc6.weight', (out) => out.rois.classLogits],
    ];
    for (const [name, pick] of cases) {
      const variable = model.namedParameters().find(([n]) => n === name)![1];
      const loss = () =>
        tf.tidy(() => {
          const t = pick(model.logits(data.x, options));
          return tf.sum(tf.mul(t, new Rng(9).normalTensor(t.shape))) as tf.Scalar;
        });
      const { value, grads } = tf.variableGrads(loss, [variable]);
      const analytic = Array.from(grads[variable.name].dataSync());
      // The element with the largest gradient, moved by ±h in float64 terms of the loss.
      const index = analytic.reduce((best, g, i) => (Math.abs(g) > Math.abs(analytic[best]) ? i : best), 0);
      const original = variable.dataSync().slice();
      const at = (delta: number) => {
        const moved = original.slice();
        moved[index] += delta;
        variable.assign(tf.tensor(moved, variable.shape));
        const l = loss();
        const v = l.dataSync()[0];
        l.dispose();
        return v;
      };
      const h = 1e-2;
      const numeric = (at(h) - at(-h)) / (2 * h);
      variable.assign(tf.tensor(original, variable.shape));
      expect(Math.abs(numeric - analytic[index]) / Math.abs(analytic[index])).toBeLessThan(2e-2);
      tf.dispose([value, grads]);
    }
    tf.dispose(data);
    model.dispose();
  });

  it('leaks no tensors: forward passes, heads and tails (the roi site holds one set of RoIs)', async () => {
    const model = tinyFasterRcnn();
    const data = batch();
    const training = { training: true, targets: data, rng: new Rng(2) };
    await assertNoTensorLeak(() => tf.dispose(model.logits(data.x, training)));
    await assertNoTensorLeak(() => tf.dispose(model.logits(data.x, { training: false })));
    // A packed backbone site, the RPN site (pyramid carried along) and the RoI site (its cache).
    for (const site of ['layer3', 'rpn', 'roi']) {
      await assertNoTensorLeak(() => {
        const f = model.head(data.x, site, training);
        tf.dispose([f, model.tail(f, site, training)]);
      });
    }
    const before = tf.memory().numTensors;
    model.dispose();
    expect(tf.memory().numTensors).toBeLessThan(before);
    tf.dispose(data);
  });

  it('refuses bad options and inputs in one line', () => {
    const oneLine = (f: () => unknown, pattern: RegExp) => {
      let error: unknown;
      try {
        f();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(PerturbError);
      expect((error as Error).message).toMatch(pattern);
      expect((error as Error).message.split('\n')[0]).toMatch(pattern);
    };
    oneLine(() => tinyFasterRcnn(1, { numClasses: 0 }), /numClasses must be an integer ≥ 1, got 0/);
    oneLine(() => tinyFasterRcnn(1, { anchorSizes: [[8], [16]] }), /anchorSizes/);
    oneLine(() => tinyFasterRcnn(1, { rpnPositiveFraction: 2 }), /rpnPositiveFraction/);
    const model = tinyFasterRcnn();
    const odd = tf.zeros([1, 48, 48, 1]) as tf.Tensor4D;
    oneLine(() => model.logits(odd), /multiples of its coarsest pyramid stride 32, got 48×48/);
    const x = tf.zeros([2, 32, 32, 1]) as tf.Tensor4D;
    oneLine(() => model.head(x, 'aspp'), /no feature site "aspp"/);
    oneLine(() => model.tail(x, 'roi'), /needs the RoIs of a head\(x, 'roi'\) call/);
    oneLine(() => model.tail(x, 'layer2'), /site "layer2" must have 24 channels/);
    const unboxed = { x, y: tf.zeros([2, 2]) as tf.Tensor2D };
    oneLine(() => model.logits(x, { training: true, targets: unboxed }), /needs batches with boxes/);
    tf.dispose([odd, x, unboxed.y]);
    model.dispose();
  });
});
