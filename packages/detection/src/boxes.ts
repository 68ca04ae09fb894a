/**
 * Boxes in the corner form `[x1, y1, x2, y2]` (x to the right, y down, continuous coordinates,
 * area `(x2 - x1)·(y2 - y1)`): IoU, clipping, the Faster R-CNN delta encoding, and the two
 * box-regression losses. Tensor functions are differentiable; `…Array` functions run on the host.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '@perturb/core';

/** torchvision's clamp on decoded log-scales: exp(dw) never exceeds 1000 / 16. */
export const BBOX_XFORM_CLIP = Math.log(1000 / 16);

function columns(boxes: tf.Tensor2D): [tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D] {
  const [x1, y1, x2, y2] = tf.unstack(boxes, 1) as tf.Tensor1D[];
  return [x1, y1, x2, y2];
}

function checkBoxes(boxes: tf.Tensor, what: string): void {
  check(
    boxes.rank === 2 && boxes.shape[1] === 4,
    `${what} has shape [${boxes.shape.join(', ')}], not [K, 4]`,
    'pass boxes as a [K, 4] tensor of [x1, y1, x2, y2] rows',
  );
}

/** Areas `(x2 - x1)·(y2 - y1)` of `[K, 4]` boxes, as a `[K]` tensor. */
export function boxArea(boxes: tf.Tensor2D): tf.Tensor1D {
  checkBoxes(boxes, 'boxes');
  return tf.tidy(() => {
    const [x1, y1, x2, y2] = columns(boxes);
    return tf.mul(tf.sub(x2, x1), tf.sub(y2, y1));
  });
}

/**
 * Pairwise IoU of `a` `[N, 4]` and `b` `[M, 4]` as an `[N, M]` tensor (torchvision's `box_iou`:
 * two empty boxes give 0/0 = NaN, as there).
 */
export function boxIou(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  checkBoxes(a, 'the first boxes');
  checkBoxes(b, 'the second boxes');
  return tf.tidy(() => {
    const { inter, union } = interUnion(a, b);
    return tf.div(inter, union) as tf.Tensor2D;
  });
}

function interUnion(a: tf.Tensor2D, b: tf.Tensor2D) {
  const areaA = boxArea(a);
  const areaB = boxArea(b);
  const [ax1, ay1, ax2, ay2] = columns(a).map((c) => tf.expandDims(c, 1));
  const [bx1, by1, bx2, by2] = columns(b).map((c) => tf.expandDims(c, 0));
  const w = tf.relu(tf.sub(tf.minimum(ax2, bx2), tf.maximum(ax1, bx1)));
  const h = tf.relu(tf.sub(tf.minimum(ay2, by2), tf.maximum(ay1, by1)));
  const inter = tf.mul(w, h);
  const union = tf.sub(tf.add(tf.expandDims(areaA, 1), tf.expandDims(areaB, 0)), inter);
  return { inter, union };
}

/**
 * Pairwise IoU on the host: `a` and `b` are flat `[x1, y1, x2, y2, …]` arrays of N and M boxes;
 * the result is row-major `[N, M]`. Computed in float32 arithmetic, as torchvision's kernels do.
 */
export function boxIouArray(a: ArrayLike<number>, b: ArrayLike<number>): Float32Array {
  check(
    a.length % 4 === 0 && b.length % 4 === 0,
    'box arrays must hold 4 numbers per box',
    'pass flat [x1, y1, x2, y2, …] arrays',
  );
  const n = a.length / 4;
  const m = b.length / 4;
  const f = Math.fround;
  const out = new Float32Array(n * m);
  for (let i = 0; i < n; i++) {
    const ax1 = f(a[4 * i]);
    const ay1 = f(a[4 * i + 1]);
    const ax2 = f(a[4 * i + 2]);
    const ay2 = f(a[4 * i + 3]);
    const areaA = f(f(ax2 - ax1) * f(ay2 - ay1));
    for (let j = 0; j < m; j++) {
      const bx1 = f(b[4 * j]);
      const by1 = f(b[4 * j + 1]);
      const bx2 = f(b[4 * j + 2]);
      const by2 = f(b[4 * j + 3]);
      const areaB = f(f(bx2 - bx1) * f(by2 - by1));
      const w = Math.max(0, f(Math.min(ax2, bx2) - Math.max(ax1, bx1)));
      const h = Math.max(0, f(Math.min(ay2, by2) - Math.max(ay1, by1)));
      const inter = f(w * h);
      out[i * m + j] = inter / f(f(areaA + areaB) - inter);
    }
  }
  return out;
}

/** Clamps x to [0, width] and y to [0, height] (torchvision's `clip_boxes_to_image`); `[K, 4]`. */
export function clipBoxes(
  boxes: tf.Tensor2D,
  imageSize: readonly [height: number, width: number],
): tf.Tensor2D {
  checkBoxes(boxes, 'boxes');
  const [height, width] = imageSize;
  return tf.tidy(() => {
    const [x1, y1, x2, y2] = columns(boxes);
    return tf.stack(
      [
        tf.clipByValue(x1, 0, width),
        tf.clipByValue(y1, 0, height),
        tf.clipByValue(x2, 0, width),
        tf.clipByValue(y2, 0, height),
      ],
      1,
    ) as tf.Tensor2D;
  });
}

/** Indices of the flat boxes whose width and height are both at least `minSize`. */
export function removeSmallBoxes(boxes: ArrayLike<number>, minSize: number): Int32Array {
  const keep: number[] = [];
  for (let i = 0; i < boxes.length / 4; i++) {
    if (boxes[4 * i + 2] - boxes[4 * i] >= minSize && boxes[4 * i + 3] - boxes[4 * i + 1] >= minSize)
      keep.push(i);
  }
  return Int32Array.from(keep);
}

/** How {@link BoxCoder} scales its deltas. */
export interface BoxCoderOptions {
  /** Weights (wx, wy, ww, wh) multiplying (dx, dy, dw, dh). Default [1, 1, 1, 1] (the RPN's); the R-CNN box head uses [10, 10, 5, 5]. */
  weights?: readonly [number, number, number, number];
  /** Upper clamp on decoded dw and dh before exp. Default log(1000 / 16). */
  scaleClamp?: number;
}

/**
 * Faster R-CNN's box parameterization (torchvision's `BoxCoder`): a target box relative to a
 * reference box is (dx, dy, dw, dh) = (wx·(gx − px)/pw, wy·(gy − py)/ph, ww·log(gw/pw), wh·log(gh/ph))
 * with centres (gx, gy), (px, py) and sizes (gw, gh), (pw, ph).
 */
export class BoxCoder {
  readonly weights: readonly [number, number, number, number];
  readonly scaleClamp: number;

  constructor(options: BoxCoderOptions = {}) {
    this.weights = options.weights ?? [1, 1, 1, 1];
    this.scaleClamp = options.scaleClamp ?? BBOX_XFORM_CLIP;
    check(
      this.weights.length === 4 && this.weights.every((w) => Number.isFinite(w) && w > 0),
      `box coder weights [${this.weights.join(', ')}] are not four positive numbers`,
      'pass weights like [10, 10, 5, 5]',
    );
  }

  /** Deltas `[K, 4]` that move each `reference` box onto the matching `target` box. */
  encode(targets: tf.Tensor2D, references: tf.Tensor2D): tf.Tensor2D {
    checkBoxes(targets, 'target boxes');
    checkBoxes(references, 'reference boxes');
    const [wx, wy, ww, wh] = this.weights;
    return tf.tidy(() => {
      const [px1, py1, px2, py2] = columns(references);
      const [gx1, gy1, gx2, gy2] = columns(targets);
      const pw = tf.sub(px2, px1);
      const ph = tf.sub(py2, py1);
      const px = tf.add(px1, tf.mul(0.5, pw));
      const py = tf.add(py1, tf.mul(0.5, ph));
      const gw = tf.sub(gx2, gx1);
      const gh = tf.sub(gy2, gy1);
      const gx = tf.add(gx1, tf.mul(0.5, gw));
      const gy = tf.add(gy1, tf.mul(0.5, gh));
      return tf.stack(
        [
          tf.div(tf.mul(wx, tf.sub(gx, px)), pw),
          tf.div(tf.mul(wy, tf.sub(gy, py)), ph),
          tf.mul(ww, tf.log(tf.div(gw, pw))),
          tf.mul(wh, tf.log(tf.div(gh, ph))),
        ],
        1,
      ) as tf.Tensor2D;
    });
  }

  /**
   * Boxes from deltas: `deltas` is `[K, 4·C]` (C classes, class-specific regression, or C = 1)
   * and `references` `[K, 4]`; the result has the shape of `deltas`. dw and dh are clamped above
   * at `scaleClamp` before exp.
   */
  decode(deltas: tf.Tensor2D, references: tf.Tensor2D): tf.Tensor2D {
    checkBoxes(references, 'reference boxes');
    check(
      deltas.rank === 2 && deltas.shape[1] % 4 === 0 && deltas.shape[0] === references.shape[0],
      `deltas of shape [${deltas.shape.join(', ')}] do not fit ${references.shape[0]} reference boxes`,
      'pass deltas as [K, 4·C] with one row per reference box',
    );
    const [wx, wy, ww, wh] = this.weights;
    const k = deltas.shape[0];
    const c = deltas.shape[1] / 4;
    return tf.tidy(() => {
      const [px1, py1, px2, py2] = columns(references);
      const pw = tf.expandDims(tf.sub(px2, px1), 1);
      const ph = tf.expandDims(tf.sub(py2, py1), 1);
      const px = tf.add(tf.expandDims(px1, 1), tf.mul(0.5, pw));
      const py = tf.add(tf.expandDims(py1, 1), tf.mul(0.5, ph));
      const [dx, dy, dw, dh] = tf.unstack(tf.reshape(deltas, [k, c, 4]), 2);
      const cx = tf.add(tf.mul(tf.div(dx, wx), pw), px);
      const cy = tf.add(tf.mul(tf.div(dy, wy), ph), py);
      const w = tf.mul(tf.exp(tf.minimum(tf.div(dw, ww), this.scaleClamp)), pw);
      const h = tf.mul(tf.exp(tf.minimum(tf.div(dh, wh), this.scaleClamp)), ph);
      const halfW = tf.mul(0.5, w);
      const halfH = tf.mul(0.5, h);
      const out = tf.stack([tf.sub(cx, halfW), tf.sub(cy, halfH), tf.add(cx, halfW), tf.add(cy, halfH)], 2);
      return tf.reshape(out, [k, 4 * c]) as tf.Tensor2D;
    });
  }
}

/** How a loss over K rows is reduced. */
export type Reduction = 'none' | 'mean' | 'sum';

function reduce(loss: tf.Tensor, reduction: Reduction): tf.Tensor {
  if (reduction === 'none') return loss;
  if (reduction === 'sum') return tf.sum(loss);
  return tf.mean(loss);
}

/**
 * Generalized-IoU loss `1 − GIoU` per row of `[K, 4]` predicted and target boxes
 * (torchvision's `generalized_box_iou_loss`, same `eps`). Default reduction `'none'` → `[K]`.
 */
export function giouLoss(
  predicted: tf.Tensor2D,
  target: tf.Tensor2D,
  options: { reduction?: Reduction; eps?: number } = {},
): tf.Tensor {
  checkBoxes(predicted, 'predicted boxes');
  checkBoxes(target, 'target boxes');
  check(
    predicted.shape[0] === target.shape[0],
    `${predicted.shape[0]} predicted boxes but ${target.shape[0]} targets`,
    'pass one target row per predicted row',
  );
  const { reduction = 'none', eps = 1e-7 } = options;
  return tf.tidy(() => {
    const [x1, y1, x2, y2] = columns(predicted);
    const [gx1, gy1, gx2, gy2] = columns(target);
    const w = tf.relu(tf.sub(tf.minimum(x2, gx2), tf.maximum(x1, gx1)));
    const h = tf.relu(tf.sub(tf.minimum(y2, gy2), tf.maximum(y1, gy1)));
    const inter = tf.mul(w, h);
    const union = tf.sub(
      tf.add(tf.mul(tf.sub(x2, x1), tf.sub(y2, y1)), tf.mul(tf.sub(gx2, gx1), tf.sub(gy2, gy1))),
      inter,
    );
    const iou = tf.div(inter, tf.add(union, eps));
    const hull = tf.mul(
      tf.sub(tf.maximum(x2, gx2), tf.minimum(x1, gx1)),
      tf.sub(tf.maximum(y2, gy2), tf.minimum(y1, gy1)),
    );
    const giou = tf.sub(iou, tf.div(tf.sub(hull, union), tf.add(hull, eps)));
    return reduce(tf.sub(1, giou), reduction);
  });
}

/**
 * Smooth-L1 (Huber-like) loss elementwise: 0.5·x²/β where |x| < β, else |x| − 0.5·β, with
 * x = predicted − target. β = 0 is plain L1. Default β = 1/9 (torchvision's detection heads),
 * reduction `'sum'` (they then divide by the number of sampled boxes).
 */
export function smoothL1Loss(
  predicted: tf.Tensor,
  target: tf.Tensor,
  options: { beta?: number; reduction?: Reduction } = {},
): tf.Tensor {
  const { beta = 1 / 9, reduction = 'sum' } = options;
  check(beta >= 0, `smooth-L1 beta ${beta} is negative`, 'pass beta ≥ 0 (0 gives L1)');
  check(
    predicted.shape.join() === target.shape.join(),
    `smooth-L1 shapes differ: [${predicted.shape.join(', ')}] vs [${target.shape.join(', ')}]`,
    'pass predicted and target tensors of the same shape',
  );
  return tf.tidy(() => {
    const diff = tf.abs(tf.sub(predicted, target));
    if (beta === 0) return reduce(diff, reduction);
    // 0.5·min(|x|, β)²/β + max(|x| − β, 0): the two branches in one differentiable expression.
    const loss = tf.add(
      tf.div(tf.mul(0.5, tf.square(tf.minimum(diff, beta))), beta),
      tf.relu(tf.sub(diff, beta)),
    );
    return reduce(loss, reduction);
  });
}
