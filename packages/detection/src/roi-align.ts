/**
 * RoIAlign (He et al., Mask R-CNN) with an exact gradient with respect to the features,
 * following torchvision's `roi_align` sample for sample.
 *
 * With the boxes held constant (as torchvision does: it gives boxes no gradient), RoIAlign is a
 * fixed linear map of the features: every output cell is a weighted sum of feature pixels, the
 * weights being the bilinear weights of its sampling points divided by their count. The weights
 * are computed on the host; the map runs as gather → scale → segment sum, and its gradient is
 * the transposed map (gather by output cell → scale → segment sum onto the pixels), given to
 * `tf.customGrad`. tfjs's `cropAndResize` has no gradient for its image input, hence this op.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '@perturb/core';

/** Options of {@link roiAlign}. */
export interface RoiAlignOptions {
  /** Output bins per box, `[height, width]` or one number for both (7 in Faster R-CNN's box head). */
  outputSize: number | readonly [number, number];
  /** Multiplies box coordinates to reach feature-map coordinates, e.g. 1/4 for a stride-4 map. Default 1. */
  spatialScale?: number;
  /**
   * Sampling points per bin along each axis; ≤ 0 means adaptive, ⌈box size / output size⌉ per
   * axis (torchvision's default -1). Default -1.
   */
  samplingRatio?: number;
  /**
   * Shift box coordinates by −0.5 pixel so a box's edges fall on pixel edges (Detectron2's
   * `ROIAlignV2`; torchvision's `aligned=True`); false keeps the original RoIAlign and its
   * minimum box size of one pixel. Default false.
   */
  aligned?: boolean;
}

/** The host-side sparse map of one call: output cell ← Σ weight · feature pixel. */
export interface RoiAlignTaps {
  /** Flat pixel index n·H·W + y·W + x of each tap. */
  pixel: Int32Array;
  /** Output cell k·PH·PW + ph·PW + pw of each tap. */
  cell: Int32Array;
  /** Weight of each tap (bilinear weight / samples in the bin; duplicates merged). */
  weight: Float32Array;
}

/**
 * The taps of RoIAlign for features of size `[N, height, width, ·]` and flat boxes `[K·4]` in
 * input coordinates with their image indices — what {@link roiAlign} applies. Exposed for tests
 * and for reuse across channels.
 */
export function roiAlignTaps(
  featureSize: readonly [batch: number, height: number, width: number],
  boxes: ArrayLike<number>,
  boxImageIndex: ArrayLike<number>,
  options: RoiAlignOptions,
): RoiAlignTaps {
  const [batch, height, width] = featureSize;
  const [pooledH, pooledW] = typeof options.outputSize === 'number' ? [options.outputSize, options.outputSize] : options.outputSize;
  const { spatialScale = 1, samplingRatio = -1, aligned = false } = options;
  check(
    Number.isInteger(pooledH) && Number.isInteger(pooledW) && pooledH > 0 && pooledW > 0,
    `RoIAlign output size ${pooledH}×${pooledW} is not a pair of positive integers`,
    'pass outputSize like 7 or [7, 7]',
  );
  check(Number.isFinite(spatialScale) && spatialScale > 0, `RoIAlign spatialScale ${spatialScale} is not positive`, 'pass e.g. 1/4 for a stride-4 feature map');
  check(Number.isInteger(samplingRatio), `RoIAlign samplingRatio ${samplingRatio} is not an integer`, 'pass e.g. 2, or -1 for adaptive');
  check(
    boxes.length % 4 === 0 && boxes.length / 4 === boxImageIndex.length,
    `${boxes.length / 4} RoIAlign boxes but ${boxImageIndex.length} image indices`,
    'pass [K, 4] boxes and K image indices',
  );
  const numBoxes = boxImageIndex.length;
  const pixel: number[] = [];
  const cell: number[] = [];
  const weight: number[] = [];
  const offset = aligned ? 0.5 : 0;
  const binTaps = new Map<number, number>();

  for (let k = 0; k < numBoxes; k++) {
    const n = boxImageIndex[k];
    check(
      Number.isInteger(n) && n >= 0 && n < batch,
      `RoIAlign box ${k} names image ${n} of a batch of ${batch}`,
      'pass image indices in [0, batch)',
    );
    const startW = boxes[4 * k] * spatialScale - offset;
    const startH = boxes[4 * k + 1] * spatialScale - offset;
    const endW = boxes[4 * k + 2] * spatialScale - offset;
    const endH = boxes[4 * k + 3] * spatialScale - offset;
    let roiW = endW - startW;
    let roiH = endH - startH;
    if (!aligned) {
      roiW = Math.max(roiW, 1);
      roiH = Math.max(roiH, 1);
    }
    const binH = roiH / pooledH;
    const binW = roiW / pooledW;
    const gridH = samplingRatio > 0 ? samplingRatio : Math.ceil(roiH / pooledH);
    const gridW = samplingRatio > 0 ? samplingRatio : Math.ceil(roiW / pooledW);
    const count = Math.max(gridH * gridW, 1);
    const base = n * height * width;

    for (let ph = 0; ph < pooledH; ph++) {
      for (let pw = 0; pw < pooledW; pw++) {
        binTaps.clear();
        const add = (y: number, x: number, w: number) => {
          if (w === 0) return;
          const p = base + y * width + x;
          binTaps.set(p, (binTaps.get(p) ?? 0) + w);
        };
        for (let iy = 0; iy < gridH; iy++) {
          const sy = startH + ph * binH + ((iy + 0.5) * binH) / gridH;
          for (let ix = 0; ix < gridW; ix++) {
            const sx = startW + pw * binW + ((ix + 0.5) * binW) / gridW;
            if (sy < -1 || sy > height || sx < -1 || sx > width) continue;
            let y = sy <= 0 ? 0 : sy;
            let x = sx <= 0 ? 0 : sx;
            let yLow = Math.trunc(y);
            let xLow = Math.trunc(x);
            let yHigh: number;
            let xHigh: number;
            if (yLow >= height - 1) {
              yHigh = yLow = height - 1;
              y = yLow;
            } else yHigh = yLow + 1;
            if (xLow >= width - 1) {
              xHigh = xLow = width - 1;
              x = xLow;
            } else xHigh = xLow + 1;
            const ly = y - yLow;
            const lx = x - xLow;
            const hy = 1 - ly;
            const hx = 1 - lx;
            add(yLow, xLow, (hy * hx) / count);
            add(yLow, xHigh, (hy * lx) / count);
            add(yHigh, xLow, (ly * hx) / count);
            add(yHigh, xHigh, (ly * lx) / count);
          }
        }
        const c = (k * pooledH + ph) * pooledW + pw;
        for (const [p, w] of binTaps) {
          pixel.push(p);
          cell.push(c);
          weight.push(w);
        }
      }
    }
  }
  return { pixel: Int32Array.from(pixel), cell: Int32Array.from(cell), weight: Float32Array.from(weight) };
}

/**
 * RoIAlign: pools each box of `boxes` (`[K, 4]` as `[x1, y1, x2, y2]` in input coordinates, a
 * tensor or a flat array) from image `boxImageIndex[k]` of `features` (`[N, H, W, C]`) into an
 * `[K, PH, PW, C]` tensor, with torchvision's algorithm (bilinear samples averaged per bin, the
 * `aligned` half-pixel shift, adaptive sampling when `samplingRatio` ≤ 0). Differentiable with
 * respect to `features` (exactly); boxes are constants (a tensor is read on the host).
 *
 * Memory: one `[taps, C]` gather, where taps ≤ K·PH·PW·(distinct pixels a bin touches).
 */
export function roiAlign(
  features: tf.Tensor4D,
  boxes: tf.Tensor2D | ArrayLike<number>,
  boxImageIndex: tf.Tensor1D | ArrayLike<number>,
  options: RoiAlignOptions,
): tf.Tensor4D {
  check(
    features.rank === 4,
    `RoIAlign features have shape [${features.shape.join(', ')}], not [N, H, W, C]`,
    'pass an NHWC feature map',
  );
  check(features.dtype === 'float32', `RoIAlign features are ${features.dtype}`, 'pass float32 features');
  const [batch, height, width, channels] = features.shape;
  const boxValues = boxes instanceof tf.Tensor ? boxes.dataSync() : boxes;
  const imageValues = boxImageIndex instanceof tf.Tensor ? boxImageIndex.dataSync() : boxImageIndex;
  const taps = roiAlignTaps([batch, height, width], boxValues, imageValues, options);
  const [pooledH, pooledW] = typeof options.outputSize === 'number' ? [options.outputSize, options.outputSize] : options.outputSize;
  const cells = imageValues.length * pooledH * pooledW;
  const pixels = batch * height * width;

  const outShape = [imageValues.length, pooledH, pooledW, channels];
  if (taps.pixel.length === 0) {
    // Every sample falls outside the image (or there are no boxes): zeros, with a zero gradient.
    return tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => ({
      value: tf.zeros(outShape),
      gradFunc: () => tf.zerosLike(args[0] as tf.Tensor),
    }))(features) as tf.Tensor4D;
  }

  // Both directions are one gather → scale → scatter-add (tf.scatterND sums duplicate indices
  // in O(taps·C) on every backend; tfjs's unsortedSegmentSum costs O(segments·taps·C) on cpu).
  const apply = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const x = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const pixel = tf.tensor2d(taps.pixel, [taps.pixel.length, 1], 'int32');
    const cell = tf.tensor2d(taps.cell, [taps.cell.length, 1], 'int32');
    const weight = tf.tensor2d(taps.weight, [taps.weight.length, 1], 'float32');
    save([pixel, cell, weight]);
    const gathered = tf.mul(tf.gatherND(tf.reshape(x, [pixels, channels]), pixel), weight);
    const value = tf.reshape(tf.scatterND(cell, gathered, [cells, channels]), outShape);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedPixel, savedCell, savedWeight] = saved;
        const spread = tf.mul(tf.gatherND(tf.reshape(dy, [cells, channels]), savedCell), savedWeight);
        return tf.reshape(tf.scatterND(savedPixel, spread, [pixels, channels]), [batch, height, width, channels]);
      },
    };
  });
  return apply(features) as tf.Tensor4D;
}
