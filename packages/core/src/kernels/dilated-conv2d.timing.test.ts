/**
 * Times a 3×3 convolution on wasm at dilation 1, 2 and 4 (the same multiply-adds): forward,
 * input gradient and filter gradient separately. Skipped unless PERTURB_TIMING=1:
 *   cd packages/core && PERTURB_TIMING=1 PERTURB_WASM_THREADS=1 npx vitest run src/kernels/dilated-conv2d.timing.test.ts
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../backend';
import { Rng } from '../rng';

const SHAPES: Array<{ x: [number, number, number, number]; co: number }> = [
  { x: [16, 32, 32, 32], co: 32 },
  { x: [8, 16, 16, 128], co: 128 },
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function timeIt(run: () => tf.Tensor, repeats = 7): number {
  tf.dispose(run()); // warm-up
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    const out = run();
    out.dataSync();
    times.push(performance.now() - start);
    out.dispose();
  }
  return median(times);
}

describe.skipIf(process.env.PERTURB_TIMING !== '1')('dilated conv2d timing on wasm', () => {
  it('forward, dx and dW at dilation 1, 2, 4', async () => {
    await initBackend({ backend: 'wasm', log: false });
    const rng = new Rng(0);
    const rows: string[] = [];
    for (const { x: shape, co } of SHAPES) {
      const x = rng.normalTensor(shape) as tf.Tensor4D;
      const w = rng.normalTensor([3, 3, shape[3], co]) as tf.Tensor4D;
      for (const d of [1, 2, 4]) {
        const conv = (a: tf.Tensor4D, b: tf.Tensor4D) => tf.conv2d(a, b, 1, 'same', 'NHWC', d);
        const dy = tf.onesLike(conv(x, w));
        const forward = timeIt(() => conv(x, w));
        const dx = timeIt(() => tf.grad((a: tf.Tensor) => tf.mul(conv(a as tf.Tensor4D, w), dy))(x));
        const dw = timeIt(() => tf.grad((b: tf.Tensor) => tf.mul(conv(x, b as tf.Tensor4D), dy))(w));
        rows.push(
          `x ${shape.join('×')} → ${co}, dilation ${d}: forward ${forward.toFixed(1)} ms, ` +
            `forward+dx ${dx.toFixed(1)} ms, forward+dW ${dw.toFixed(1)} ms`,
        );
        dy.dispose();
      }
      tf.dispose([x, w]);
    }
    console.log(rows.join('\n'));
    expect(rows.length).toBe(SHAPES.length * 3);
  });
});
