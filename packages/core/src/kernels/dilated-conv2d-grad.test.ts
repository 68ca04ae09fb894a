import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend';
import { Rng } from '../rng';
import { registerDilatedConv2DGradient } from './dilated-conv2d-grad';
import { relativeError } from './relative-error';

type Pad4 = [[number, number], [number, number], [number, number], [number, number]];
type Pad = 'same' | 'valid' | Pad4;

interface Case {
  x: number[];
  w: number[];
  dilation: [number, number];
  pad: Pad;
}

/**
 * A dilated convolution built only from ops whose gradients tfjs has on the cpu backend (pad,
 * slice, reshape, matMul): Σ over taps of the shifted input times that tap's [ci, co] matrix.
 */
function referenceConv(x: tf.Tensor4D, w: tf.Tensor4D, c: Case): tf.Tensor4D {
  const n = x.shape[0];
  const [kh, kw, ci, co] = w.shape;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape,
    w.shape,
    1,
    c.dilation,
    c.pad,
    undefined,
    false,
    'channelsLast',
  );
  const { top, bottom, left, right } = info.padInfo;
  const padded = tf.pad(x, [
    [0, 0],
    [top, Math.max(bottom, 0)],
    [left, Math.max(right, 0)],
    [0, 0],
  ]);
  let y: tf.Tensor2D | null = null;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const window = tf.slice(
        padded,
        [0, i * c.dilation[0], j * c.dilation[1], 0],
        [n, info.outHeight, info.outWidth, ci],
      );
      const tap = tf.reshape(tf.slice(w, [i, j, 0, 0], [1, 1, ci, co]), [ci, co]) as tf.Tensor2D;
      const term = tf.matMul(tf.reshape(window, [-1, ci]) as tf.Tensor2D, tap) as tf.Tensor2D;
      y = y ? tf.add<tf.Tensor2D>(y, term) : term;
    }
  }
  return tf.reshape<tf.Rank.R4>(y!, [n, info.outHeight, info.outWidth, co]);
}

function randomCase(rng: Rng): Case {
  const k = [1, 2, 3, 3, 5][rng.int(5)];
  const dilation: [number, number] = [2 + rng.int(3), 2 + rng.int(3)];
  const span = (k - 1) * Math.max(...dilation) + 1;
  const kind = rng.int(3);
  const pads = [0, 1, 2, 3].map(() => (kind === 2 ? rng.int(span + 2) : 0));
  // 'same' and explicit padding also get inputs smaller than the dilated filter (ASPP rates
  // larger than the feature map); every case keeps at least one output pixel.
  const side = (before: number, after: number) => {
    const least = kind === 0 ? 1 : Math.max(1, span - before - after);
    return least + rng.int(kind === 0 ? span + 4 : 6);
  };
  const h = side(pads[0], pads[1]);
  const w = side(pads[2], pads[3]);
  const n = 1 + rng.int(3);
  const ci = 1 + rng.int(5);
  const co = 1 + rng.int(5);
  const pad: Pad =
    kind === 0
      ? 'same'
      : kind === 1
        ? 'valid'
        : [
            [0, 0],
            [pads[0], pads[1]],
            [pads[2], pads[3]],
            [0, 0],
          ];
  return { x: [n, h, w, ci], w: [k, k, ci, co], dilation, pad };
}

function values(rng: Rng, shape: number[]): Float32Array {
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < out.length; i++) out[i] = rng.normal();
  return out;
}

/** Forward output and gradients of Σ y·r w.r.t. x and w, as plain arrays. */
function forwardAndGrads(
  conv: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D,
  c: Case,
  xs: Float32Array,
  ws: Float32Array,
  rs: Float32Array,
): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(xs, c.x as [number, number, number, number]);
    const w = tf.tensor4d(ws, c.w as [number, number, number, number]);
    const y = conv(x, w);
    const r = tf.tensor(rs, y.shape);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(conv(a as tf.Tensor4D, b as tf.Tensor4D), r)),
    )([x, w]);
    return [y, dx, dw].map((t) => t.dataSync() as Float32Array);
  });
}

describe('dilated conv2d gradients', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', log: false });
  });

  it('tf.grad of a dilated conv2d matches a slice-and-matMul reference on the cpu backend (wasm and cpu)', async () => {
    const rng = new Rng(18);
    for (let trial = 0; trial < 32; trial++) {
      const c = randomCase(rng);
      const xs = values(rng, c.x);
      const ws = values(rng, c.w);
      await tf.setBackend('cpu');
      const out = tf.backend_util.computeConv2DInfo(
        c.x as [number, number, number, number],
        c.w as [number, number, number, number],
        1,
        c.dilation,
        c.pad,
      );
      const outShape = [c.x[0], out.outHeight, out.outWidth, c.w[3]];
      const rs = values(rng, outShape);
      const expected = forwardAndGrads((x, w) => referenceConv(x, w, c), c, xs, ws, rs);
      const dilated = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.conv2d(x, w, 1, c.pad, 'NHWC', c.dilation);
      for (const backend of ['cpu', 'wasm']) {
        await tf.setBackend(backend);
        const before = tf.memory().numTensors;
        const actual = forwardAndGrads(dilated, c, xs, ws, rs);
        expect(tf.memory().numTensors).toBe(before);
        for (let k = 0; k < 3; k++) {
          const error = relativeError(actual[k], expected[k]);
          if (error >= 1e-4) {
            throw new Error(`${backend} ${['y', 'dx', 'dw'][k]} off by ${error} on ${JSON.stringify(c)}`);
          }
        }
      }
    }
  });

  it('leaves undilated convolutions on tfjs’s own gradient and registers idempotently', () => {
    const current = tf.getGradient('Conv2D');
    expect(registerDilatedConv2DGradient()).toBe(false);
    expect(tf.getGradient('Conv2D')).toBe(current);
  });
});
