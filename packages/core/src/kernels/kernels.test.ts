import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend';
import { Rng } from '../rng';
import { registerTrainingKernels } from './register';
import { relativeError } from './relative-error';

type Pad =
  'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
interface Input {
  shape: number[];
  values: Float32Array | Int32Array;
  dtype: 'float32' | 'int32';
}

const KERNELS = [
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'UnsortedSegmentSum',
  'Identity',
  'Sum',
  'Mean',
  'Concat',
  'SplitV',
  'Slice',
  'Tile',
  'Reverse',
  'GatherV2',
  'Cast',
  'FusedBatchNorm',
  'BatchMatMul',
];

function randomInput(rng: Rng, shape: number[]): Input {
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++) values[i] = rng.normal();
  return { shape, values, dtype: 'float32' };
}

/** Runs one kernel on a backend with fresh tensors; also checks that it frees its intermediates. */
async function runOn(
  backend: string,
  kernel: string,
  inputs: Record<string, Input>,
  attrs: object,
): Promise<Float32Array | Int32Array> {
  await tf.setBackend(backend);
  const dataIdsBefore = tf.engine().backend.numDataIds();
  const tensors = Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => [k, tf.tensor(v.values, v.shape, v.dtype)]),
  );
  const out = tf.engine().runKernel(kernel, tensors, attrs as tf.NamedAttrMap) as tf.Tensor;
  const values = out.dataSync() as Float32Array | Int32Array;
  tf.dispose([out, ...Object.values(tensors)]);
  expect(tf.engine().backend.numDataIds()).toBe(dataIdsBefore);
  return values;
}

/** max |actual − expected| / max |expected|: relative to the output's scale, so near-zero entries don't dominate. */
/** Relative error of the wasm kernel against the cpu backend's on the same inputs. */
async function errorVsCpu(kernel: string, inputs: Record<string, Input>, attrs: object): Promise<number> {
  const expected = await runOn('cpu', kernel, inputs, attrs);
  return relativeError(await runOn('wasm', kernel, inputs, attrs), expected);
}

/**
 * The cpu depthwise backprops ignore `dilations`, so dilated cases are checked against the
 * equivalent undilated problem: the filter with zeros inserted between its taps.
 */
function undilatedFilterShape(shape: number[], [dh, dw]: [number, number]): number[] {
  return [(shape[0] - 1) * dh + 1, (shape[1] - 1) * dw + 1, shape[2], shape[3]];
}

/** Moves tap (i, j) of an `[kh, kw, c·m]` array to (i·dh, j·dw) of the undilated shape, or back when `inverse`. */
function remapTaps(
  values: ArrayLike<number>,
  shape: number[],
  [dh, dw]: [number, number],
  inverse = false,
): Float32Array {
  const big = undilatedFilterShape(shape, [dh, dw]);
  const inner = shape[2] * shape[3];
  const out = new Float32Array((inverse ? shape : big).reduce((a, b) => a * b, 1));
  for (let i = 0; i < shape[0]; i++) {
    for (let j = 0; j < shape[1]; j++) {
      const small = (i * shape[1] + j) * inner;
      const large = (i * dh * big[1] + j * dw) * inner;
      for (let k = 0; k < inner; k++) {
        if (inverse) out[small + k] = values[large + k];
        else out[large + k] = values[small + k];
      }
    }
  }
  return out;
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)];
}

/** A random padding: 'same', 'valid', explicit per side, or a number with a rounding mode. */
function randomPad(rng: Rng): { pad: Pad; dimRoundingMode?: 'floor' | 'round' | 'ceil' } {
  const kind = rng.int(4);
  if (kind === 0) return { pad: 'same' };
  if (kind === 1) return { pad: 'valid' };
  if (kind === 2)
    return {
      pad: [
        [0, 0],
        [rng.int(3), rng.int(3)],
        [rng.int(3), rng.int(3)],
        [0, 0],
      ],
    };
  return { pad: rng.int(3), dimRoundingMode: pick(rng, ['floor', 'round', 'ceil'] as const) };
}

interface ConvCase {
  x: number[];
  filter: number[];
  strides: [number, number];
  dilations: [number, number];
  pad: Pad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dy: number[];
}

/** A random convolution whose output is non-empty; `multiplier` set means depthwise. */
function randomConv(rng: Rng, multiplier?: number): ConvCase {
  for (;;) {
    const k = [1 + rng.int(5), 1 + rng.int(5)];
    const strides: [number, number] = [1 + rng.int(2), 1 + rng.int(2)];
    const dilated = multiplier !== undefined && strides[0] === 1 && strides[1] === 1 && rng.bernoulli(0.5);
    const dilations: [number, number] = dilated ? [1 + rng.int(2), 1 + rng.int(2)] : [1, 1];
    const cin = pick(rng, [1, 2, 3, 8, 16, 64]);
    const cout = multiplier ?? pick(rng, [1, 4, 16, 64]);
    const x = [1 + rng.int(8), 1 + rng.int(9), 1 + rng.int(9), cin];
    const filter = [k[0], k[1], cin, cout];
    const { pad, dimRoundingMode } = randomPad(rng);
    try {
      const info = tf.backend_util.computeConv2DInfo(
        x as [number, number, number, number],
        filter as [number, number, number, number],
        strides,
        dilations,
        pad,
        dimRoundingMode,
        multiplier !== undefined,
      );
      if (info.outHeight > 0 && info.outWidth > 0) {
        return { x, filter, strides, dilations, pad, dimRoundingMode, dy: info.outShape };
      }
    } catch {
      // an impossible geometry (e.g. a filter larger than the padded input): draw again
    }
  }
}

function describeCase(c: ConvCase): string {
  return JSON.stringify({
    x: c.x,
    f: c.filter,
    s: c.strides,
    d: c.dilations,
    pad: c.pad,
    r: c.dimRoundingMode,
  });
}

describe('wasm training kernels match the cpu backend', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', log: false });
  });

  it('registers exactly the missing kernels, only on wasm, idempotently', () => {
    expect(registerTrainingKernels('cpu')).toEqual([]);
    expect(registerTrainingKernels('wasm')).toEqual(KERNELS);
    const before = KERNELS.map((k) => tf.getKernel(k, 'wasm')?.kernelFunc);
    expect(registerTrainingKernels('wasm')).toEqual(KERNELS);
    expect(KERNELS.map((k) => tf.getKernel(k, 'wasm')?.kernelFunc)).toEqual(before);
  });

  it('Conv2DBackpropFilter and Conv2DBackpropInput on random geometries', async () => {
    const rng = new Rng(1).child('conv2d');
    for (let i = 0; i < 30; i++) {
      const c = randomConv(rng);
      const dataFormat = i % 10 === 9 ? 'NCHW' : 'NHWC';
      const toFormat = (s: number[]) => (dataFormat === 'NCHW' ? [s[0], s[3], s[1], s[2]] : s);
      const common = { strides: c.strides, pad: c.pad, dimRoundingMode: c.dimRoundingMode, dataFormat };
      const x = randomInput(rng, toFormat(c.x));
      const dy = randomInput(rng, toFormat(c.dy));
      const filter = randomInput(rng, c.filter);
      const filterError = await errorVsCpu(
        'Conv2DBackpropFilter',
        { x, dy },
        { ...common, filterShape: c.filter },
      );
      expect(filterError, `filter grad ${describeCase(c)} ${dataFormat}`).toBeLessThan(1e-4);
      const inputError = await errorVsCpu(
        'Conv2DBackpropInput',
        { dy, filter },
        { ...common, inputShape: toFormat(c.x) },
      );
      expect(inputError, `input grad ${describeCase(c)} ${dataFormat}`).toBeLessThan(1e-4);
    }
  });

  it('DepthwiseConv2dNative backprops on random geometries, multipliers and dilations', async () => {
    const rng = new Rng(2).child('depthwise');
    for (let i = 0; i < 24; i++) {
      const c = randomConv(rng, 1 + (i % 3 === 2 ? rng.int(3) : 0));
      const attrs = {
        strides: c.strides,
        dilations: c.dilations,
        pad: c.pad,
        dimRoundingMode: c.dimRoundingMode,
      };
      const reference = { ...attrs, dilations: [1, 1] };
      const x = randomInput(rng, c.x);
      const dy = randomInput(rng, c.dy);
      const filter = randomInput(rng, c.filter);
      const bigShape = undilatedFilterShape(c.filter, c.dilations);
      const bigFilter: Input = {
        shape: bigShape,
        values: remapTaps(filter.values, c.filter, c.dilations),
        dtype: 'float32',
      };

      const filterName = 'DepthwiseConv2dNativeBackpropFilter';
      const expectedFilter = remapTaps(
        await runOn('cpu', filterName, { x, dy }, { ...reference, filterShape: bigShape }),
        c.filter,
        c.dilations,
        true,
      );
      const actualFilter = await runOn('wasm', filterName, { x, dy }, { ...attrs, filterShape: c.filter });
      expect(relativeError(actualFilter, expectedFilter), `filter grad ${describeCase(c)}`).toBeLessThan(
        1e-4,
      );

      const inputName = 'DepthwiseConv2dNativeBackpropInput';
      const expectedInput = await runOn(
        'cpu',
        inputName,
        { dy, filter: bigFilter },
        { ...reference, inputShape: c.x },
      );
      const actualInput = await runOn('wasm', inputName, { dy, filter }, { ...attrs, inputShape: c.x });
      expect(relativeError(actualInput, expectedInput), `input grad ${describeCase(c)}`).toBeLessThan(1e-4);
    }
  });

  it('FusedBatchNorm with per-channel parameters (one depthwise pass) and others (the backend’s own)', async () => {
    const rng = new Rng(6).child('batch-norm');
    for (let i = 0; i < 8; i++) {
      const channels = 1 + rng.int(12);
      const shape = [1 + rng.int(4), 1 + rng.int(6), 1 + rng.int(6), channels];
      // [C], tfjs-layers' [1, 1, 1, C], or full-size statistics (not per channel).
      const param = [[channels], [1, 1, 1, channels], shape][i % 3];
      const variance = randomInput(rng, param);
      variance.values = variance.values.map((v) => 0.1 + v * v);
      const inputs: Record<string, Input> = {
        x: randomInput(rng, shape),
        mean: randomInput(rng, param),
        variance,
        ...(i % 4 !== 3 ? { scale: randomInput(rng, param), offset: randomInput(rng, param) } : {}),
      };
      const error = await errorVsCpu('FusedBatchNorm', inputs, { varianceEpsilon: 1e-3 });
      expect(error, JSON.stringify({ shape, param })).toBeLessThan(1e-5);
    }
  });

  it('BatchMatMul with transposed operands (transposed first) and without (the backend’s own)', async () => {
    const rng = new Rng(8).child('matmul');
    for (let i = 0; i < 12; i++) {
      const [m, k, n] = [1 + rng.int(9), 1 + rng.int(9), 1 + rng.int(9)];
      const transposeA = i % 2 === 1;
      const transposeB = i % 4 >= 2;
      // Rank 2, rank 3, and rank 3 against a broadcast rank-2 operand.
      const batch = [[], [1 + rng.int(3)], [2]][i % 3];
      const aShape = [...batch, ...(transposeA ? [k, m] : [m, k])];
      const bShape = [...(i % 3 === 2 ? [] : batch), ...(transposeB ? [n, k] : [k, n])];
      const inputs = { a: randomInput(rng, aShape), b: randomInput(rng, bShape) };
      const error = await errorVsCpu('BatchMatMul', inputs, { transposeA, transposeB });
      expect(error, JSON.stringify({ aShape, bShape, transposeA, transposeB })).toBeLessThan(1e-5);
    }
  });

  it('UnsortedSegmentSum on float and int data, dropping out-of-range ids', async () => {
    const rng = new Rng(3).child('segments');
    for (let i = 0; i < 6; i++) {
      const rows = 1 + rng.int(20);
      const numSegments = 1 + rng.int(6);
      const rest = i % 2 === 0 ? [] : [1 + rng.int(4), 1 + rng.int(3)];
      const ids = Int32Array.from({ length: rows }, () => rng.int(numSegments + 2) - 1);
      const segmentIds: Input = { shape: [rows], values: ids, dtype: 'int32' };
      const x = randomInput(rng, [rows, ...rest]);
      expect(await errorVsCpu('UnsortedSegmentSum', { x, segmentIds }, { numSegments })).toBeLessThan(1e-6);
      const ints: Input = {
        shape: x.shape,
        values: Int32Array.from(x.values, (v) => Math.round(v * 10)),
        dtype: 'int32',
      };
      expect(await errorVsCpu('UnsortedSegmentSum', { x: ints, segmentIds }, { numSegments })).toBe(0);
    }
  });

  it('Sum and Mean over consecutive axes before the last (pooled) and over others (the backend’s own)', async () => {
    const rng = new Rng(5).child('reductions');
    const cases: Array<[number[], number[], boolean]> = [
      [[6, 5, 4, 3], [0, 1, 2], false],
      [[6, 5, 4, 3], [2, 0, 1], true],
      [[7, 5], [0], false],
      [[1, 4, 3], [0, 1], false],
      [[6, 5, 4, 3], [1, 2], false],
      [[6, 5, 4], [2], true],
      [[6, 5, 4, 3], [1], true],
      [[2, 3, 4, 5, 6], [3, 1, 2], false],
      [[3, 40, 30, 2], [1, 2], true],
      [[6, 5, 4, 3], [0, 2], false],
    ];
    for (const [shape, axis, keepDims] of cases) {
      const x = randomInput(rng, shape);
      for (const kernel of ['Sum', 'Mean']) {
        expect(
          await errorVsCpu(kernel, { x }, { axis, keepDims }),
          `${kernel} ${JSON.stringify([shape, axis])}`,
        ).toBeLessThan(1e-6);
        const out = tf.tidy(
          () => tf.engine().runKernel(kernel, { x: tf.zeros(shape) }, { axis, keepDims }) as tf.Tensor,
        );
        const kept = shape.map((d, i) => (axis.includes(i) ? (keepDims ? 1 : 0) : d)).filter((d) => d > 0);
        expect(out.shape).toEqual(kept);
        out.dispose();
      }
    }
    const ints: Input = {
      shape: [4, 3],
      values: Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
      dtype: 'int32',
    };
    expect(await errorVsCpu('Sum', { x: ints }, { axis: [0], keepDims: false })).toBe(0);
  });

  it('gives tf.grad of conv2d and depthwiseConv2d the cpu backend’s values', async () => {
    const rng = new Rng(4);
    const x = randomInput(rng, [2, 7, 6, 3]);
    const w = randomInput(rng, [3, 3, 3, 4]);
    const dw = randomInput(rng, [3, 3, 3, 2]);
    const gradsOn = async (backend: string) => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const loss = (a: tf.Tensor4D, b: tf.Tensor4D, c: tf.Tensor4D) =>
          tf.add(
            tf.sum(tf.square(tf.conv2d(a, b, 2, 'same'))),
            tf.sum(tf.square(tf.depthwiseConv2d(a, c, 1, 'same'))),
          );
        const tensors = [x, w, dw].map((t) =>
          tf.tensor4d(t.values, t.shape as [number, number, number, number]),
        );
        const grads = tf.grads(loss as (...args: tf.Tensor[]) => tf.Tensor)(tensors);
        return grads.map((g) => Array.from(g.dataSync()));
      });
    };
    const expected = await gradsOn('cpu');
    const actual = await gradsOn('wasm');
    for (let g = 0; g < expected.length; g++) {
      const scale = Math.max(...expected[g].map(Math.abs));
      const diff = Math.max(...expected[g].map((v, i) => Math.abs(v - actual[g][i])));
      expect(diff / scale).toBeLessThan(1e-4);
    }
  });
});
