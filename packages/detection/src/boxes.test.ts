import * as tf from '@tensorflow/tfjs-core';
import { PerturbError, assertNoTensorLeak, initBackend } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BBOX_XFORM_CLIP,
  BoxCoder,
  boxArea,
  boxIou,
  boxIouArray,
  clipBoxes,
  giouLoss,
  removeSmallBoxes,
  smoothL1Loss,
} from './boxes';
import { fixture, maxAbsDiff } from './test-support';

interface BoxFixture {
  references: number[];
  targets: number[];
  deltas: number[];
  codes: number[];
  decoded: number[];
  iou: number[];
  predicted: number[];
  giou: number[];
  giouGrad: number[];
  smoothL1: number;
  smoothL1Grad: number[];
}
const f = fixture<BoxFixture>('boxes.json');
const t2 = (values: number[], width = 4) => tf.tensor2d(values, [values.length / width, width]);
const values = (t: tf.Tensor) => Array.from(t.dataSync());

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

describe('IoU', () => {
  it('agrees with torchvision.ops.box_iou (tensor and host versions)', () => {
    const [a, b] = [t2(f.references), t2(f.targets)];
    const iou = boxIou(a, b);
    expect(iou.shape).toEqual([20, 20]);
    expect(maxAbsDiff(values(iou), f.iou)).toBeLessThan(1e-6);
    expect(maxAbsDiff(boxIouArray(f.references, f.targets), f.iou)).toBeLessThan(1e-6);
    tf.dispose([a, b, iou]);
  });

  it('is 1 for equal boxes, 0 for disjoint ones, 1/7 for half-overlapping unit squares', () => {
    const iou = boxIouArray([0, 0, 2, 2, 5, 5, 6, 6], [0, 0, 2, 2, 1, 0, 3, 2]);
    expect(Array.from(iou)).toEqual([1, Math.fround(1 / 3), 0, 0]);
    const area = boxArea(t2([0, 0, 2, 3]));
    expect(values(area)).toEqual([6]);
    area.dispose();
  });
});

describe('BoxCoder (weights 10, 10, 5, 5)', () => {
  const coder = new BoxCoder({ weights: [10, 10, 5, 5] });

  it('encodes and decodes (class-specific [K, 4·C], log-scale clamp) as torchvision does', () => {
    const [refs, targets, codes] = [t2(f.references), t2(f.targets), t2(f.codes, 12)];
    const deltas = coder.encode(targets, refs);
    expect(maxAbsDiff(values(deltas), f.deltas)).toBeLessThan(1e-4);
    const decoded = coder.decode(codes, refs);
    expect(decoded.shape).toEqual([20, 12]);
    // Relative: decoded boxes reach e^clamp · width.
    const scale = Math.max(...f.decoded.map(Math.abs));
    expect(maxAbsDiff(values(decoded), f.decoded) / scale).toBeLessThan(1e-6);
    const roundTrip = coder.decode(deltas, refs);
    expect(maxAbsDiff(values(roundTrip), f.targets)).toBeLessThan(1e-3);
    tf.dispose([refs, targets, codes, deltas, decoded, roundTrip]);
  });

  it('clamps dw at log(1000/16) by default', () => {
    const plain = new BoxCoder();
    expect(plain.scaleClamp).toBeCloseTo(BBOX_XFORM_CLIP, 12);
    const out = tf.tidy(() => values(plain.decode(t2([0, 0, 100, 0]), t2([0, 0, 1, 1]))));
    expect(out[2] - out[0]).toBeCloseTo(1000 / 16, 3);
  });

  it('refuses bad weights and mismatched shapes', () => {
    expect(() => new BoxCoder({ weights: [1, 1, 0, 1] })).toThrow(PerturbError);
    const [a, b] = [t2([0, 0, 1, 1]), t2([0, 0, 1, 1, 0, 0, 2, 2])];
    expect(() => coder.decode(a, b)).toThrow(/do not fit 2 reference boxes/);
    tf.dispose([a, b]);
  });
});

describe('clipping and small boxes', () => {
  it('clips x to [0, width] and y to [0, height]', () => {
    const out = tf.tidy(() => values(clipBoxes(t2([-3, -1, 50, 9, 2, 3, 4, 5]), [8, 40])));
    expect(out).toEqual([0, 0, 40, 8, 2, 3, 4, 5]);
  });

  it('keeps boxes at least minSize wide and high', () => {
    expect(Array.from(removeSmallBoxes([0, 0, 1, 1, 0, 0, 0.5, 3, 0, 0, 3, 3], 1))).toEqual([0, 2]);
  });
});

describe('losses', () => {
  it('GIoU loss and its gradient agree with torchvision.ops.generalized_box_iou_loss', () => {
    const [pred, target] = [t2(f.predicted), t2(f.targets)];
    const loss = giouLoss(pred, target);
    expect(maxAbsDiff(values(loss), f.giou)).toBeLessThan(1e-5);
    const grad = tf.grad((p: tf.Tensor) => tf.sum(giouLoss(p as tf.Tensor2D, target)))(pred);
    expect(maxAbsDiff(values(grad), f.giouGrad)).toBeLessThan(1e-5);
    const mean = giouLoss(pred, target, { reduction: 'mean' });
    expect(mean.dataSync()[0]).toBeCloseTo(f.giou.reduce((s, v) => s + v, 0) / 20, 5);
    tf.dispose([pred, target, loss, grad, mean]);
  });

  it('GIoU loss is 0 for equal boxes and exceeds 1 for distant ones', () => {
    const out = tf.tidy(() => values(giouLoss(t2([0, 0, 2, 2, 0, 0, 1, 1]), t2([0, 0, 2, 2, 3, 0, 4, 1]))));
    expect(out[0]).toBeCloseTo(0, 6);
    expect(out[1]).toBeCloseTo(1 + (4 - 2) / 4, 6);
  });

  it('smooth-L1 (beta 1/9, sum) and its gradient agree with torch.nn.functional.smooth_l1_loss', () => {
    const [pred, target] = [t2(f.predicted), t2(f.targets)];
    const loss = smoothL1Loss(pred, target);
    expect(Math.abs(loss.dataSync()[0] - f.smoothL1) / f.smoothL1).toBeLessThan(1e-6);
    const grad = tf.grad((p: tf.Tensor) => smoothL1Loss(p, target))(pred);
    expect(maxAbsDiff(values(grad), f.smoothL1Grad)).toBeLessThan(1e-6);
    const l1 = tf.tidy(() =>
      values(smoothL1Loss(tf.tensor1d([0.5, -2]), tf.tensor1d([0, 0]), { beta: 0, reduction: 'none' })),
    );
    expect(l1).toEqual([0.5, 2]);
    tf.dispose([pred, target, loss, grad]);
  });

  it('leak no tensors', async () => {
    const [pred, target] = [t2(f.predicted), t2(f.targets)];
    await assertNoTensorLeak(() =>
      tf
        .tidy(() =>
          tf.grad((p: tf.Tensor) =>
            tf.add(tf.sum(giouLoss(p as tf.Tensor2D, target)), smoothL1Loss(p, target)),
          )(pred),
        )
        .dispose(),
    );
    await assertNoTensorLeak(() => boxIou(pred, target).dispose());
    tf.dispose([pred, target]);
  });
});
