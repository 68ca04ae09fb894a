import * as tf from '@tensorflow/tfjs-core';
import { PerturbError, assertNoTensorLeak, initBackend } from '@perturb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { fpnLevels, multiScaleRoiAlign, roiAlign, roiAlignWeights } from './roi-align';
import { fixture, maxAbsDiff } from './test-support';

interface RoiCase {
  featureShape: [number, number, number, number];
  features: number[];
  boxes: number[];
  boxImageIndex: number[];
  outputSize: [number, number];
  spatialScale: number;
  samplingRatio: number;
  aligned: boolean;
  output: number[];
  upstream: number[];
  featureGrad: number[];
}

const { cases } = fixture<{ cases: RoiCase[] }>('roi-align.json');

beforeAll(async () => {
  await initBackend({ backend: 'cpu', log: false });
});

/** Output and d(Σ output·upstream)/d(features) of one fixture case. */
function run(c: RoiCase, boxes: tf.Tensor2D | number[] = c.boxes) {
  return tf.tidy(() => {
    const features = tf.tensor4d(c.features, c.featureShape);
    const upstream = tf.tensor(c.upstream);
    const options = {
      outputSize: c.outputSize,
      spatialScale: c.spatialScale,
      samplingRatio: c.samplingRatio,
      aligned: c.aligned,
    };
    const output = roiAlign(features, boxes, c.boxImageIndex, options);
    const grad = tf.grad((f: tf.Tensor) =>
      tf.sum(tf.mul(tf.reshape(roiAlign(f as tf.Tensor4D, boxes, c.boxImageIndex, options), [-1]), upstream)),
    )(features);
    return { output: Array.from(output.dataSync()), shape: output.shape, grad: Array.from(grad.dataSync()) };
  });
}

describe('roiAlign against torchvision.ops.roi_align', () => {
  it.each(cases.map((c, i) => [i, c] as const))(
    'case %i: values and feature gradients agree within 1e-5',
    (_, c) => {
      const { output, shape, grad } = run(c);
      expect(shape).toEqual([c.boxImageIndex.length, c.outputSize[0], c.outputSize[1], c.featureShape[3]]);
      expect(maxAbsDiff(output, c.output)).toBeLessThan(1e-5);
      expect(maxAbsDiff(grad, c.featureGrad)).toBeLessThan(1e-5);
    },
  );

  it('takes boxes as a tensor as well', () => {
    const c = cases[0];
    const boxes = tf.tensor2d(c.boxes, [c.boxes.length / 4, 4]);
    const { output, grad } = run(c, boxes);
    boxes.dispose();
    expect(maxAbsDiff(output, c.output)).toBeLessThan(1e-5);
    expect(maxAbsDiff(grad, c.featureGrad)).toBeLessThan(1e-5);
  });

  it('the gradient is the exact adjoint: ⟨A·f, u⟩ = ⟨f, Aᵀ·u⟩ on every case', () => {
    for (const c of cases) {
      const { output, grad } = run(c);
      const lhs = output.reduce((s, v, i) => s + v * c.upstream[i], 0);
      const rhs = grad.reduce((s, v, i) => s + v * c.features[i], 0);
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-3 * Math.max(1, Math.abs(lhs)));
    }
  });
});

describe('roiAlign', () => {
  it('pools a constant map to the constant inside the image, and samples outside it as 0', () => {
    const features = tf.fill([1, 4, 4, 2], 3) as tf.Tensor4D;
    const out = roiAlign(features, [0, 0, 4, 4, 10, 10, 14, 14], [0, 0], { outputSize: 2, samplingRatio: 2 });
    expect(Array.from(out.dataSync())).toEqual([3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0]);
    tf.dispose([features, out]);
  });

  it('has no gradient for the boxes and no tensor leaks, with or without a gradient tape', async () => {
    const c = cases[1];
    const features = tf.tensor4d(c.features, c.featureShape);
    const options = {
      outputSize: c.outputSize,
      spatialScale: c.spatialScale,
      samplingRatio: c.samplingRatio,
      aligned: c.aligned,
    };
    await assertNoTensorLeak(() => roiAlign(features, c.boxes, c.boxImageIndex, options).dispose());
    // Grouped by image (several parts, no reordering), and in chunks.
    const grouped = [...c.boxImageIndex].sort((a, b) => a - b);
    await assertNoTensorLeak(() => roiAlign(features, c.boxes, grouped, options).dispose());
    await assertNoTensorLeak(() =>
      roiAlign(features, c.boxes, grouped, { ...options, maxChunkValues: 1 }).dispose(),
    );
    await assertNoTensorLeak(() =>
      tf
        .tidy(() =>
          tf.grad((f: tf.Tensor) => tf.sum(roiAlign(f as tf.Tensor4D, c.boxes, c.boxImageIndex, options)))(
            features,
          ),
        )
        .dispose(),
    );
    const boxes = tf.tensor2d(c.boxes, [c.boxes.length / 4, 4]);
    const variable = tf.variable(boxes, true, 'boxes-as-variable');
    // The boxes never reach a differentiable op: tfjs finds no path from them to the output.
    expect(() =>
      tf.variableGrads(
        () => tf.sum(roiAlign(features, variable, c.boxImageIndex, options)) as tf.Scalar,
        [variable],
      ),
    ).toThrow(/Cannot find a connection/);
    tf.dispose([features, boxes, variable]);
  });

  it('handles zero boxes and boxes entirely outside the image (zeros, zero gradient)', () => {
    const features = tf.ones([1, 3, 3, 2]) as tf.Tensor4D;
    const out = roiAlign(features, [], [], { outputSize: 2 });
    expect(out.shape).toEqual([0, 2, 2, 2]);
    const outside = (f: tf.Tensor) => roiAlign(f as tf.Tensor4D, [10, 10, 12, 12], [0], { outputSize: 2 });
    const away = outside(features);
    expect(Array.from(away.dataSync())).toEqual(new Array(8).fill(0));
    const grad = tf.grad((f: tf.Tensor) => tf.sum(outside(f)))(features);
    expect(Array.from(grad.dataSync())).toEqual(new Array(18).fill(0));
    tf.dispose([features, out, away, grad]);
  });

  it('averages each bin: row and column weights sum to 1 for a box inside the map', () => {
    const { rows, cols } = roiAlignWeights([8, 8], [1, 1, 5, 6], {
      outputSize: 2,
      samplingRatio: 3,
      aligned: true,
    });
    for (let p = 0; p < 2; p++) {
      expect(rows.subarray(p * 8, p * 8 + 8).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      expect(cols.subarray(p * 8, p * 8 + 8).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    }
  });

  it('splits many boxes into chunks with the same result', () => {
    // 7 rows × 16 columns × 3 channels = 336 values a box: chunks of 2 boxes.
    const features = tf.randomNormal([2, 4, 16, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const boxes = Array.from({ length: 5 }, (_, k) => [k, 0, k + 9, 3]).flat();
    const options = { outputSize: 7, samplingRatio: 2 } as const;
    const whole = roiAlign(features, boxes, [0, 1, 0, 1, 1], { ...options, maxChunkValues: 700 });
    const one = roiAlign(features, boxes.slice(4 * 4), [1], options);
    const last = tf.slice(whole, [4, 0, 0, 0], [1, 7, 7, 3]);
    expect(whole.shape).toEqual([5, 7, 7, 3]);
    expect(maxAbsDiff(Array.from(last.dataSync()), Array.from(one.dataSync()))).toBeLessThan(1e-6);
    const gradient = (maxChunkValues?: number) =>
      tf.grad((f: tf.Tensor) =>
        tf.sum(tf.square(roiAlign(f as tf.Tensor4D, boxes, [0, 1, 0, 1, 1], { ...options, maxChunkValues }))),
      )(features);
    const [chunked, single] = [gradient(700), gradient()];
    expect(maxAbsDiff(Array.from(chunked.dataSync()), Array.from(single.dataSync()))).toBeLessThan(1e-5);
    tf.dispose([features, whole, one, last, chunked, single]);
  });

  it('pools a batch as it pools each image alone: the same values and feature gradients, bit for bit', () => {
    // Images interleaved, image 3 without boxes; 7 rows × 8 columns × 2 channels = 112 values a
    // box, so maxChunkValues 250 puts two boxes in a chunk.
    const features = tf.randomNormal([4, 6, 8, 2], 0, 1, 'float32', 7) as tf.Tensor4D;
    const images = [2, 0, 1, 0, 2, 0, 1];
    const boxes = images.flatMap((_, k) => [k * 0.7, 0.3 * k, 3 + k * 0.5, 2.5 + k * 0.4]);
    const upstream = Array.from({ length: images.length * 7 * 7 * 2 }, (_, i) => Math.sin(i));
    for (const maxChunkValues of [undefined, 250]) {
      const options = { outputSize: 7, samplingRatio: -1, maxChunkValues };
      /** Values and d(Σ output·upstream)/d(features) of some boxes. */
      const pool = (f: tf.Tensor4D, which: number[], imageIndex: number[]) =>
        tf.tidy(() => {
          const chosenBoxes = which.flatMap((k) => boxes.slice(4 * k, 4 * k + 4));
          const u = tf.tensor(which.flatMap((k) => upstream.slice(k * 98, (k + 1) * 98)));
          const run = (x: tf.Tensor) => roiAlign(x as tf.Tensor4D, chosenBoxes, imageIndex, options);
          const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.reshape(run(x), [-1]), u)))(f);
          return { values: Array.from(run(f).dataSync()), grad: Array.from(grad.dataSync()) };
        });
      const batch = pool(features, Array.from(images.keys()), images);
      const expectedValues = new Array<number>(batch.values.length);
      const expectedGrad: number[] = [];
      for (let image = 0; image < 4; image++) {
        const which = Array.from(images.keys()).filter((k) => images[k] === image);
        const alone = tf.slice(features, [image, 0, 0, 0], [1, 6, 8, 2]);
        const { values, grad } = which.length
          ? pool(
              alone,
              which,
              which.map(() => 0),
            )
          : { values: [], grad: new Array<number>(96).fill(0) };
        which.forEach((k, j) => expectedValues.splice(k * 98, 98, ...values.slice(j * 98, (j + 1) * 98)));
        expectedGrad.push(...grad);
        alone.dispose();
      }
      expect(batch.values).toEqual(expectedValues);
      expect(batch.grad).toEqual(expectedGrad);
      expect(batch.grad.slice(3 * 96).every((g) => g === 0)).toBe(true);
    }
    features.dispose();
  });

  it('refuses bad input with one clear line', () => {
    const features = tf.ones([1, 3, 3, 2]) as tf.Tensor4D;
    expect(() => roiAlign(features, [0, 0, 1, 1], [1], { outputSize: 2 })).toThrow(PerturbError);
    expect(() => roiAlign(features, [0, 0, 1, 1], [1], { outputSize: 2 })).toThrow(
      /names image 1 of a batch of 1/,
    );
    expect(() => roiAlign(features, [0, 0, 1], [0], { outputSize: 2 })).toThrow(/boxes but 1 image indices/);
    expect(() => roiAlign(features, [0, 0, 1, 1], [0], { outputSize: 0 })).toThrow(/output size/);
    features.dispose();
  });
});

interface MultiScaleCase {
  imageSize: [number, number];
  canonicalScale: number;
  samplingRatio: number;
  outputSize: [number, number];
  featureShapes: [number, number, number, number][];
  features: number[][];
  boxes: number[];
  boxImageIndex: number[];
  output: number[];
  upstream: number[];
  featureGrads: number[][];
}

describe('multiScaleRoiAlign against torchvision.ops.MultiScaleRoIAlign', () => {
  const multi = fixture<{ cases: MultiScaleCase[] }>('multiscale-roi-align.json').cases;

  it.each(multi.map((c, i) => [i, c] as const))(
    'case %i: values and every level’s gradient agree within 1e-5',
    (_, c) => {
      const features = c.features.map((values, l) => tf.tensor4d(values, c.featureShapes[l]));
      const upstream = tf.tensor(c.upstream);
      const options = {
        outputSize: c.outputSize,
        samplingRatio: c.samplingRatio,
        imageSize: c.imageSize,
        canonicalScale: c.canonicalScale,
      };
      const levels = fpnLevels(c.boxes, { minLevel: 2, maxLevel: 5, canonicalScale: c.canonicalScale });
      expect(new Set(levels).size).toBeGreaterThan(2); // the fixture reaches several levels
      const out = multiScaleRoiAlign(features, c.boxes, c.boxImageIndex, options);
      expect(maxAbsDiff(Array.from(out.dataSync()), c.output)).toBeLessThan(1e-5);
      const grads = tf.grads((...maps: tf.Tensor[]) =>
        tf.sum(
          tf.mul(
            tf.reshape(multiScaleRoiAlign(maps as tf.Tensor4D[], c.boxes, c.boxImageIndex, options), [-1]),
            upstream,
          ),
        ),
      )(features);
      grads.forEach((g, l) =>
        expect(maxAbsDiff(Array.from(g.dataSync()), c.featureGrads[l])).toBeLessThan(1e-5),
      );
      tf.dispose([...features, upstream, out, ...grads]);
    },
  );

  it('maps box sizes to levels as the FPN paper’s equation (224 → level 4)', () => {
    const boxes = [0, 0, 224, 224, 0, 0, 112, 112, 0, 0, 111, 111, 0, 0, 10, 10, 0, 0, 2000, 2000];
    expect(Array.from(fpnLevels(boxes, { minLevel: 2, maxLevel: 5 }))).toEqual([2, 1, 0, 0, 3]);
  });

  it('leaks no tensors', async () => {
    const c = multi[0];
    const features = c.features.map((values, l) => tf.tensor4d(values, c.featureShapes[l]));
    const options = {
      outputSize: c.outputSize,
      samplingRatio: c.samplingRatio,
      imageSize: c.imageSize,
      canonicalScale: c.canonicalScale,
    };
    await assertNoTensorLeak(() =>
      tf
        .tidy(() =>
          tf.grads((...maps: tf.Tensor[]) =>
            tf.sum(multiScaleRoiAlign(maps as tf.Tensor4D[], c.boxes, c.boxImageIndex, options)),
          )(features),
        )
        .forEach((g) => g.dispose()),
    );
    await assertNoTensorLeak(() => multiScaleRoiAlign(features, c.boxes, c.boxImageIndex, options).dispose());
    tf.dispose(features);
  });
});
