/**
 * RoIAlign (He et al., Mask R-CNN) with an exact gradient with respect to the features,
 * following torchvision's `roi_align` sample for sample.
 *
 * With the boxes held constant (as torchvision does: it gives boxes no gradient), RoIAlign is a
 * fixed linear map of the features. It is also separable: a sampling point's bilinear weight on
 * pixel (r, c) is a weight of its y on row r times a weight of its x on column c, and it counts
 * only if both y and x lie within [−1, size]. So bin (ph, pw) of box k is Rₖ[ph]·F·Cₖ[pw]ᵀ with a
 * row-weight matrix Rₖ (PH × H) and a column-weight matrix Cₖ (PW × W), each row averaging its
 * axis's samples. Both are built on the host; the map is two matrix products, and its gradient
 * (given to `tf.customGrad`) the two transposed products. tfjs's `cropAndResize` has no gradient
 * for its image input, hence this op.
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
  /**
   * Most values the intermediate `[boxes·PH, W, C]` product may hold; more boxes are pooled in
   * chunks. Lower it to bound memory. Default 2²⁴.
   */
  maxChunkValues?: number;
}

/** The separable weights of one RoIAlign call (what {@link roiAlign} multiplies by). */
export interface RoiAlignWeights {
  /** `[K, PH, H]`: weight of feature row r in output row ph of box k (averaged over its y samples). */
  rows: Float32Array;
  /** `[K, PW, W]`: weight of feature column c in output column pw of box k (averaged over its x samples). */
  cols: Float32Array;
  outputSize: [number, number];
}

/** Adds, for each of `pooled` bins, its `grid` samples' linear-interpolation weights along one axis. */
function axisWeights(
  out: Float32Array,
  offset: number,
  start: number,
  bin: number,
  grid: number,
  pooled: number,
  size: number,
): void {
  for (let p = 0; p < pooled; p++) {
    const row = offset + p * size;
    for (let i = 0; i < grid; i++) {
      const sample = start + p * bin + ((i + 0.5) * bin) / grid;
      // torchvision: a sample more than one pixel outside the map contributes 0 …
      if (sample < -1 || sample > size) continue;
      // … and one within a pixel of it is clamped onto the edge.
      const v = sample <= 0 ? 0 : sample;
      const low = Math.trunc(v);
      if (low >= size - 1) {
        out[row + size - 1] += 1 / grid;
      } else {
        const frac = v - low;
        out[row + low] += (1 - frac) / grid;
        out[row + low + 1] += frac / grid;
      }
    }
  }
}

function pooledSize(options: RoiAlignOptions): [number, number] {
  return typeof options.outputSize === 'number'
    ? [options.outputSize, options.outputSize]
    : [options.outputSize[0], options.outputSize[1]];
}

/**
 * The separable RoIAlign weights for a feature map of `[height, width]` and flat boxes `[K·4]`
 * in input coordinates (torchvision's sampling: box scaled by `spatialScale`, shifted by −0.5
 * when `aligned`, at least 1×1 otherwise; `samplingRatio` samples per bin and axis, or
 * ⌈bin size⌉ when ≤ 0).
 */
export function roiAlignWeights(
  featureSize: readonly [height: number, width: number],
  boxes: ArrayLike<number>,
  options: RoiAlignOptions,
): RoiAlignWeights {
  const [height, width] = featureSize;
  const [pooledH, pooledW] = pooledSize(options);
  const { spatialScale = 1, samplingRatio = -1, aligned = false } = options;
  check(
    Number.isInteger(pooledH) && Number.isInteger(pooledW) && pooledH > 0 && pooledW > 0,
    `RoIAlign output size ${pooledH}×${pooledW} is not a pair of positive integers`,
    'pass outputSize like 7 or [7, 7]',
  );
  check(
    Number.isFinite(spatialScale) && spatialScale > 0,
    `RoIAlign spatialScale ${spatialScale} is not positive`,
    'pass e.g. 1/4 for a stride-4 feature map',
  );
  check(
    Number.isInteger(samplingRatio),
    `RoIAlign samplingRatio ${samplingRatio} is not an integer`,
    'pass e.g. 2, or -1 for adaptive',
  );
  check(
    boxes.length % 4 === 0,
    `RoIAlign boxes hold ${boxes.length} numbers, not 4 per box`,
    'pass [K, 4] boxes',
  );
  const numBoxes = boxes.length / 4;
  const rows = new Float32Array(numBoxes * pooledH * height);
  const cols = new Float32Array(numBoxes * pooledW * width);
  const offset = aligned ? 0.5 : 0;
  for (let k = 0; k < numBoxes; k++) {
    const startW = boxes[4 * k] * spatialScale - offset;
    const startH = boxes[4 * k + 1] * spatialScale - offset;
    let roiW = boxes[4 * k + 2] * spatialScale - offset - startW;
    let roiH = boxes[4 * k + 3] * spatialScale - offset - startH;
    check(
      Number.isFinite(roiW) && Number.isFinite(roiH),
      `RoIAlign box ${k} is not finite`,
      'pass finite box coordinates',
    );
    if (!aligned) {
      roiW = Math.max(roiW, 1);
      roiH = Math.max(roiH, 1);
    }
    const gridH = samplingRatio > 0 ? samplingRatio : Math.ceil(roiH / pooledH);
    const gridW = samplingRatio > 0 ? samplingRatio : Math.ceil(roiW / pooledW);
    axisWeights(rows, k * pooledH * height, startH, roiH / pooledH, gridH, pooledH, height);
    axisWeights(cols, k * pooledW * width, startW, roiW / pooledW, gridW, pooledW, width);
  }
  return { rows, cols, outputSize: [pooledH, pooledW] };
}

/**
 * RoIAlign: pools each box of `boxes` (`[K, 4]` as `[x1, y1, x2, y2]` in input coordinates, a
 * tensor or a flat array) from image `boxImageIndex[k]` of `features` (`[N, H, W, C]`) into a
 * `[K, PH, PW, C]` tensor, with torchvision's algorithm (bilinear samples averaged per bin, the
 * `aligned` half-pixel shift, adaptive sampling when `samplingRatio` ≤ 0). Differentiable with
 * respect to `features`, exactly; boxes are constants (a tensor of boxes is read on the host).
 *
 * Cost: each image's boxes are pooled against that image's map only, in two matrix products,
 * (Kᵢ·PH × H)·(H × W·C) and Kᵢ·PH products (PW × W)·(W × C), the same transposed for the
 * gradient; chunks keep the `[Kᵢ·PH, W, C]` intermediate under `maxChunkValues`. Boxes not
 * grouped by image cost one reordering of the output more.
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
  const images = boxImageIndex instanceof tf.Tensor ? boxImageIndex.dataSync() : boxImageIndex;
  check(
    boxValues.length === images.length * 4,
    `${boxValues.length / 4} RoIAlign boxes but ${images.length} image indices`,
    'pass [K, 4] boxes and K image indices',
  );
  for (let k = 0; k < images.length; k++) {
    check(
      Number.isInteger(images[k]) && images[k] >= 0 && images[k] < batch,
      `RoIAlign box ${k} names image ${images[k]} of a batch of ${batch}`,
      'pass image indices in [0, batch)',
    );
  }
  const weights = roiAlignWeights([height, width], boxValues, options);
  const [pooledH, pooledW] = weights.outputSize;
  const numBoxes = images.length;
  if (numBoxes === 0) {
    return tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => ({
      value: tf.zeros([0, pooledH, pooledW, channels]),
      gradFunc: () => tf.zerosLike(args[0] as tf.Tensor),
    }))(features) as tf.Tensor4D;
  }
  const maxBoxes = Math.max(
    1,
    Math.floor((options.maxChunkValues ?? 2 ** 24) / (pooledH * width * channels)),
  );
  const chunks = chunksByImage(images, batch, maxBoxes);
  const pooled = poolChunks(features, weights, chunks);
  // Row i of `pooled` is box order[i]; put each box back at its own place.
  const order = chunks.flatMap((chunk) => chunk.boxes);
  if (order.every((k, i) => k === i)) return pooled;
  const position = new Int32Array(numBoxes);
  order.forEach((k, i) => (position[k] = i));
  return tf.tidy(() => {
    const out = permuteRows(pooled, position) as tf.Tensor4D;
    pooled.dispose();
    return out;
  });
}

/** Boxes (indices into a call's boxes) of one image, pooled together. */
interface ImageChunk {
  image: number;
  boxes: number[];
}

/** The boxes of each image in turn, in their order, in chunks of at most `maxBoxes`. */
function chunksByImage(images: ArrayLike<number>, batch: number, maxBoxes: number): ImageChunk[] {
  const byImage: number[][] = Array.from({ length: batch }, () => []);
  for (let k = 0; k < images.length; k++) byImage[images[k]].push(k);
  const chunks: ImageChunk[] = [];
  byImage.forEach((boxes, image) => {
    for (let from = 0; from < boxes.length; from += maxBoxes) {
      chunks.push({ image, boxes: boxes.slice(from, from + maxBoxes) });
    }
  });
  return chunks;
}

/** A chunk's row weights R (`[Kᵢ·PH, H]`), column weights C (`[Kᵢ·PH, PW, W]`) and their transposes. */
interface ChunkMatrices {
  rows: Float32Array;
  rowsT: Float32Array;
  cols: Float32Array;
  colsT: Float32Array;
}

/** The weights of `boxes` (indices into `weights`' boxes) laid out for one chunk's products. */
function chunkMatrices(
  weights: RoiAlignWeights,
  boxes: readonly number[],
  height: number,
  width: number,
): ChunkMatrices {
  const [pooledH, pooledW] = weights.outputSize;
  const rowCount = boxes.length * pooledH;
  const m: ChunkMatrices = {
    rows: new Float32Array(rowCount * height),
    rowsT: new Float32Array(height * rowCount),
    cols: new Float32Array(rowCount * pooledW * width),
    colsT: new Float32Array(rowCount * width * pooledW),
  };
  boxes.forEach((k, j) => {
    for (let ph = 0; ph < pooledH; ph++) {
      const r = j * pooledH + ph;
      for (let y = 0; y < height; y++) {
        const w = weights.rows[(k * pooledH + ph) * height + y];
        m.rows[r * height + y] = w;
        m.rowsT[y * rowCount + r] = w;
      }
      for (let pw = 0; pw < pooledW; pw++) {
        for (let x = 0; x < width; x++) {
          const w = weights.cols[(k * pooledW + pw) * width + x];
          m.cols[(r * pooledW + pw) * width + x] = w;
          m.colsT[(r * width + x) * pooledW + pw] = w;
        }
      }
    }
  });
  return m;
}

/**
 * The chunks' boxes, chunk after chunk: R · Fᵢ, then C · (…), with Fᵢ the chunk's image as an
 * `[H, W·C]` matrix. The gradient multiplies by the transposes (built on the host too) and
 * adds up each image's chunks; an image without boxes gets zeros.
 */
function poolChunks(features: tf.Tensor4D, weights: RoiAlignWeights, chunks: ImageChunk[]): tf.Tensor4D {
  const [batch, height, width, channels] = features.shape;
  const [pooledH, pooledW] = weights.outputSize;
  const matrices = chunks.map((chunk) => chunkMatrices(weights, chunk.boxes, height, width));
  const rowCounts = chunks.map((chunk) => chunk.boxes.length * pooledH);
  const apply = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const x = args[0] as tf.Tensor4D;
    const save = args[1] as tf.GradSaveFunc;
    // Only the gradient needs the transposes (wasm's matMul is much slower with transposeA).
    save(
      matrices.flatMap((m, i) => [
        tf.tensor2d(m.rowsT, [height, rowCounts[i]]),
        tf.tensor3d(m.colsT, [rowCounts[i], width, pooledW]),
      ]),
    );
    const values = chunks.map((chunk, i) => {
      const image = tf.reshape(tf.slice(x, [chunk.image, 0, 0, 0], [1, height, width, channels]), [
        height,
        width * channels,
      ]) as tf.Tensor2D;
      const byRow = tf.matMul(tf.tensor2d(matrices[i].rows, [rowCounts[i], height]), image);
      const c = tf.tensor3d(matrices[i].cols, [rowCounts[i], pooledW, width]);
      return tf.reshape(tf.matMul(c, tf.reshape(byRow, [rowCounts[i], width, channels]) as tf.Tensor3D), [
        chunk.boxes.length,
        pooledH,
        pooledW,
        channels,
      ]);
    });
    return {
      value: values.length === 1 ? values[0] : tf.concat(values, 0),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const dys =
          values.length === 1
            ? [dy]
            : tf.split(
                dy,
                chunks.map((chunk) => chunk.boxes.length),
                0,
              );
        const perImage: Array<tf.Tensor | undefined> = Array.from({ length: batch }, () => undefined);
        chunks.forEach((chunk, i) => {
          const [rowsT, colsT] = [saved[2 * i] as tf.Tensor2D, saved[2 * i + 1] as tf.Tensor3D];
          const dByRow = tf.matMul(
            colsT,
            tf.reshape(dys[i], [rowCounts[i], pooledW, channels]) as tf.Tensor3D,
          );
          const dx = tf.matMul(rowsT, tf.reshape(dByRow, [rowCounts[i], width * channels]) as tf.Tensor2D);
          const sum = perImage[chunk.image];
          perImage[chunk.image] = sum ? tf.add(sum, dx) : dx;
        });
        let none: tf.Tensor | undefined;
        const dx = perImage.map((d) => d ?? (none ??= tf.zeros([height, width * channels])));
        return tf.reshape(dx.length === 1 ? dx[0] : tf.concat(dx, 0), [batch, height, width, channels]);
      },
    };
  });
  return tf.tidy(() => apply(features) as tf.Tensor4D);
}

/** Options of {@link fpnLevels}: torchvision's `LevelMapper` (FPN paper, eq. 1). */
export interface FpnLevelOptions {
  /** Finest and coarsest pyramid levels k (stride 2^k), e.g. 2 and 5 for P2–P5. */
  minLevel: number;
  maxLevel: number;
  /** A box of this √area goes to `canonicalLevel`. Default 224. */
  canonicalScale?: number;
  /** Default 4. */
  canonicalLevel?: number;
}

/**
 * The pyramid level of each flat box, as an index from `minLevel`:
 * ⌊k₀ + log₂(√area / s₀) + 1e-6⌋ clamped to [minLevel, maxLevel], in float32 like torchvision.
 */
export function fpnLevels(boxes: ArrayLike<number>, options: FpnLevelOptions): Int32Array {
  const { minLevel, maxLevel, canonicalScale = 224, canonicalLevel = 4 } = options;
  const f = Math.fround;
  const out = new Int32Array(boxes.length / 4);
  for (let k = 0; k < out.length; k++) {
    const area = f(f(boxes[4 * k + 2] - boxes[4 * k]) * f(boxes[4 * k + 3] - boxes[4 * k + 1]));
    const level = Math.floor(
      f(f(canonicalLevel + f(Math.log2(f(f(Math.sqrt(area)) / canonicalScale)))) + f(1e-6)),
    );
    out[k] = Math.min(maxLevel, Math.max(minLevel, level)) - minLevel;
  }
  return out;
}

/** Options of {@link multiScaleRoiAlign}. */
export interface MultiScaleRoiAlignOptions extends Pick<
  RoiAlignOptions,
  'outputSize' | 'samplingRatio' | 'maxChunkValues'
> {
  /** The (padded) input size `[height, width]` the boxes are in; each level's scale is inferred from it. */
  imageSize: readonly [number, number];
  /** Default 224. */
  canonicalScale?: number;
  /** Default 4. */
  canonicalLevel?: number;
}

/** Reorders rows of `x` by `order` (out[i] = x[order[i]]), with the inverse reordering as gradient. */
function permuteRows(x: tf.Tensor, order: Int32Array): tf.Tensor {
  const inverse = new Int32Array(order.length);
  order.forEach((k, i) => (inverse[k] = i));
  return tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => ({
    value: tf.gather(args[0] as tf.Tensor, tf.tensor1d(order, 'int32')),
    gradFunc: (dy: tf.Tensor) => tf.gather(dy, tf.tensor1d(inverse, 'int32')),
  }))(x);
}

/**
 * RoIAlign over a feature pyramid (torchvision's `MultiScaleRoIAlign`): `features` finest first,
 * each level's scale 2^round(log₂(feature size / image size)), each box pooled from the level
 * {@link fpnLevels} assigns it (`aligned: false`), results in the boxes' order.
 */
export function multiScaleRoiAlign(
  features: readonly tf.Tensor4D[],
  boxes: tf.Tensor2D | ArrayLike<number>,
  boxImageIndex: tf.Tensor1D | ArrayLike<number>,
  options: MultiScaleRoiAlignOptions,
): tf.Tensor4D {
  check(
    features.length > 0,
    'multiScaleRoiAlign got no feature maps',
    'pass the pyramid levels, finest first',
  );
  const boxValues = boxes instanceof tf.Tensor ? boxes.dataSync() : boxes;
  const images = boxImageIndex instanceof tf.Tensor ? boxImageIndex.dataSync() : boxImageIndex;
  if (features.length === 1) {
    const scale = 2 ** Math.round(Math.log2(features[0].shape[1] / options.imageSize[0]));
    return roiAlign(features[0], boxValues, images, { ...options, spatialScale: scale, aligned: false });
  }
  const scales = features.map((f) => 2 ** Math.round(Math.log2(f.shape[1] / options.imageSize[0])));
  const minLevel = Math.trunc(-Math.log2(scales[0]));
  const maxLevel = Math.trunc(-Math.log2(scales[scales.length - 1]));
  check(
    maxLevel - minLevel + 1 === features.length,
    `feature maps of scales [${scales.join(', ')}] are not consecutive pyramid levels`,
    'pass one map per level, finest first, each half the size of the previous',
  );
  const levels = fpnLevels(boxValues, {
    minLevel,
    maxLevel,
    canonicalScale: options.canonicalScale,
    canonicalLevel: options.canonicalLevel,
  });
  const order: number[] = [];
  const parts: tf.Tensor[] = [];
  features.forEach((level, l) => {
    // A level without boxes still takes part (zero rows, zero gradient), so every level has a
    // gradient path, as torchvision's zeros.
    const which = Array.from(levels.keys()).filter((k) => levels[k] === l);
    order.push(...which);
    const levelBoxes = which.flatMap((k) => [
      boxValues[4 * k],
      boxValues[4 * k + 1],
      boxValues[4 * k + 2],
      boxValues[4 * k + 3],
    ]);
    parts.push(
      roiAlign(
        level,
        levelBoxes,
        which.map((k) => images[k]),
        { ...options, spatialScale: scales[l], aligned: false },
      ),
    );
  });
  return tf.tidy(() => {
    const all = tf.concat(parts, 0);
    const position = new Int32Array(order.length);
    order.forEach((k, i) => (position[k] = i));
    const out = position.every((p, i) => p === i) ? all.clone() : permuteRows(all, position);
    tf.dispose(parts);
    return out as tf.Tensor4D;
  });
}
