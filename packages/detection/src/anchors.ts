/**
 * Anchors (torchvision's `AnchorGenerator` conventions), the IoU matcher (torchvision's
 * `Matcher`, with its low-quality-match rule) and the balanced positive/negative sampler.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Rng, check } from '@perturb/core';

/** Round half to even, in float32: `torch.round` on float32 tensors. */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Options of {@link AnchorGenerator}: one entry per pyramid level. */
export interface AnchorGeneratorOptions {
  /** Anchor sizes (square root of the area, in input pixels) per level, e.g. [[32], [64], [128]]. */
  sizes: readonly (readonly number[])[];
  /** Aspect ratios h/w per level, e.g. [[0.5, 1, 2]] for every level (a single entry is repeated). */
  aspectRatios: readonly (readonly number[])[];
}

/**
 * Anchors at several sizes and aspect ratios per pyramid level. At level l, the base anchors
 * are centred on 0 with h = size·√r and w = size/√r, ordered ratio-major then size, and rounded
 * (half to even, like `torch.round`); they are shifted to every cell (x·stride, y·stride), row
 * by row, with stride = ⌊image / feature⌋ per axis. Flat layout: level, then y, then x, then
 * anchor — the order of an NHWC head output reshaped to `[N, H·W·A, 4]`.
 */
export class AnchorGenerator {
  readonly sizes: readonly (readonly number[])[];
  readonly aspectRatios: readonly (readonly number[])[];
  private readonly base: Float32Array[];

  constructor(options: AnchorGeneratorOptions) {
    const { sizes } = options;
    const ratios =
      options.aspectRatios.length === 1 ? sizes.map(() => options.aspectRatios[0]) : options.aspectRatios;
    check(
      sizes.length > 0,
      'anchor sizes are empty',
      'pass one list of sizes per pyramid level, e.g. [[32], [64]]',
    );
    check(
      ratios.length === sizes.length,
      `${sizes.length} levels of anchor sizes but ${ratios.length} of aspect ratios`,
      'pass one list of aspect ratios per level, or a single list for all levels',
    );
    for (const list of [...sizes, ...ratios]) {
      check(
        list.length > 0 && list.every((v) => Number.isFinite(v) && v > 0),
        `anchor sizes/ratios [${list.join(', ')}] are not a non-empty list of positive numbers`,
        'use positive numbers such as sizes [32, 64] and ratios [0.5, 1, 2]',
      );
    }
    this.sizes = sizes;
    this.aspectRatios = ratios;
    this.base = sizes.map((levelSizes, l) => baseAnchors(levelSizes, ratios[l]));
  }

  /** Anchors per cell at each level (sizes × ratios). */
  anchorsPerLocation(): number[] {
    return this.sizes.map((s, l) => s.length * this.aspectRatios[l].length);
  }

  /** The centred base anchors of `level`, flat `[A·4]`. */
  baseAnchors(level: number): Float32Array {
    return this.base[level].slice();
  }

  /**
   * All anchors of one image, flat `[Σ H·W·A · 4]`, for an input of `imageSize` [height, width]
   * and feature maps of `featureSizes` [[h, w], …] (one per level).
   */
  generate(
    imageSize: readonly [number, number],
    featureSizes: readonly (readonly [number, number])[],
  ): Float32Array {
    check(
      featureSizes.length === this.base.length,
      `${featureSizes.length} feature maps for ${this.base.length} anchor levels`,
      'pass one [height, width] per pyramid level',
    );
    const total = featureSizes.reduce((n, [h, w], l) => n + h * w * this.base[l].length, 0);
    const out = new Float32Array(total);
    let o = 0;
    featureSizes.forEach(([h, w], l) => {
      const strideY = Math.floor(imageSize[0] / h);
      const strideX = Math.floor(imageSize[1] / w);
      const base = this.base[l];
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const sx = x * strideX;
          const sy = y * strideY;
          for (let a = 0; a < base.length; a += 4) {
            out[o++] = sx + base[a];
            out[o++] = sy + base[a + 1];
            out[o++] = sx + base[a + 2];
            out[o++] = sy + base[a + 3];
          }
        }
      }
    });
    return out;
  }

  /** {@link AnchorGenerator.generate} as a `[K, 4]` tensor. */
  generateTensor(
    imageSize: readonly [number, number],
    featureSizes: readonly (readonly [number, number])[],
  ): tf.Tensor2D {
    const flat = this.generate(imageSize, featureSizes);
    return tf.tensor2d(flat, [flat.length / 4, 4], 'float32');
  }
}

function baseAnchors(sizes: readonly number[], ratios: readonly number[]): Float32Array {
  const f = Math.fround;
  const out = new Float32Array(sizes.length * ratios.length * 4);
  let o = 0;
  for (const ratio of ratios) {
    const hRatio = f(Math.sqrt(f(ratio)));
    const wRatio = f(1 / hRatio);
    for (const size of sizes) {
      const w = f(f(wRatio * f(size)) / 2);
      const h = f(f(hRatio * f(size)) / 2);
      out[o++] = roundHalfEven(-w);
      out[o++] = roundHalfEven(-h);
      out[o++] = roundHalfEven(w);
      out[o++] = roundHalfEven(h);
    }
  }
  return out;
}

/** A matched index for a prediction whose best IoU is below the low threshold (background). */
export const BELOW_LOW_THRESHOLD = -1;
/** A matched index for a prediction whose best IoU falls between the thresholds (ignored). */
export const BETWEEN_THRESHOLDS = -2;

/** Options of {@link Matcher}. */
export interface MatcherOptions {
  /** Best IoU ≥ this: matched to that ground-truth box. RPN 0.7, RoI head 0.5. */
  highThreshold: number;
  /** Best IoU < this: background (-1); between the two: ignored (-2). RPN 0.3, RoI head 0.5. */
  lowThreshold: number;
  /**
   * Also match, for each ground-truth box, the predictions that reach its highest IoU (ties
   * included) — to their own best box, exactly as torchvision does. RPN true, RoI head false.
   */
  allowLowQualityMatches?: boolean;
}

/**
 * Assigns each prediction (anchor or proposal) the ground-truth box it overlaps most, or
 * {@link BELOW_LOW_THRESHOLD} / {@link BETWEEN_THRESHOLDS} (torchvision's `Matcher`).
 */
export class Matcher {
  readonly highThreshold: number;
  readonly lowThreshold: number;
  readonly allowLowQualityMatches: boolean;

  constructor(options: MatcherOptions) {
    check(
      options.lowThreshold <= options.highThreshold,
      `matcher low threshold ${options.lowThreshold} is above its high threshold ${options.highThreshold}`,
      'pass lowThreshold ≤ highThreshold',
    );
    this.highThreshold = options.highThreshold;
    this.lowThreshold = options.lowThreshold;
    this.allowLowQualityMatches = options.allowLowQualityMatches ?? false;
  }

  /**
   * `quality` is the row-major `[G, P]` IoU of G ground-truth boxes with P predictions (e.g.
   * from {@link boxIouArray}); returns P matched indices. With no ground truth every prediction
   * is background (what torchvision's RPN and RoI heads do for an image without boxes).
   */
  match(quality: ArrayLike<number>, numGroundTruth: number, numPredictions: number): Int32Array {
    check(
      quality.length === numGroundTruth * numPredictions,
      `the IoU matrix holds ${quality.length} values, not ${numGroundTruth}×${numPredictions}`,
      'pass the [ground truth, predictions] IoU matrix in row-major order',
    );
    const matches = new Int32Array(numPredictions);
    if (numGroundTruth === 0) return matches.fill(BELOW_LOW_THRESHOLD);
    const best = new Int32Array(numPredictions);
    for (let p = 0; p < numPredictions; p++) {
      let bestValue = quality[p];
      let bestIndex = 0;
      for (let g = 1; g < numGroundTruth; g++) {
        const v = quality[g * numPredictions + p];
        if (v > bestValue) {
          bestValue = v;
          bestIndex = g;
        }
      }
      best[p] = bestIndex;
      matches[p] =
        bestValue < this.lowThreshold
          ? BELOW_LOW_THRESHOLD
          : bestValue < this.highThreshold
            ? BETWEEN_THRESHOLDS
            : bestIndex;
    }
    if (this.allowLowQualityMatches) {
      for (let g = 0; g < numGroundTruth; g++) {
        let highest = -Infinity;
        for (let p = 0; p < numPredictions; p++) highest = Math.max(highest, quality[g * numPredictions + p]);
        for (let p = 0; p < numPredictions; p++) {
          if (quality[g * numPredictions + p] === highest) matches[p] = best[p];
        }
      }
    }
    return matches;
  }
}

/** Options of {@link sampleBalanced}. */
export interface BalancedSamplerOptions {
  /** Samples per image (positives + negatives), e.g. 256 for the RPN, 512 for the RoI head. */
  batchSizePerImage: number;
  /** Largest share of positives, e.g. 0.5 for the RPN, 0.25 for the RoI head. */
  positiveFraction: number;
}

/**
 * Draws at most ⌊batchSizePerImage·positiveFraction⌋ positives (label ≥ 1) and fills the rest
 * with negatives (label 0); labels < 0 are never drawn (torchvision's
 * `BalancedPositiveNegativeSampler`, random choice from `rng`). Indices come back ascending.
 */
export function sampleBalanced(
  labels: ArrayLike<number>,
  options: BalancedSamplerOptions,
  rng: Rng,
): { positive: Int32Array; negative: Int32Array } {
  const { batchSizePerImage, positiveFraction } = options;
  check(
    Number.isInteger(batchSizePerImage) && batchSizePerImage > 0,
    `batchSizePerImage ${batchSizePerImage} is not a positive integer`,
    'pass e.g. 256',
  );
  check(
    positiveFraction >= 0 && positiveFraction <= 1,
    `positiveFraction ${positiveFraction} is outside [0, 1]`,
    'pass e.g. 0.5',
  );
  const positives: number[] = [];
  const negatives: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= 1) positives.push(i);
    else if (labels[i] === 0) negatives.push(i);
  }
  const numPositive = Math.min(positives.length, Math.floor(batchSizePerImage * positiveFraction));
  const numNegative = Math.min(negatives.length, batchSizePerImage - numPositive);
  const pick = (from: number[], count: number) => {
    const order = rng.permutation(from.length).subarray(0, count);
    return Int32Array.from(order, (i) => from[i]).sort();
  };
  return { positive: pick(positives, numPositive), negative: pick(negatives, numNegative) };
}

/**
 * Training labels from {@link Matcher} output (torchvision's `assign_targets_to_anchors` and
 * `assign_targets_to_proposals`): a match gets its ground-truth box's label from `gtLabels`, or
 * 1 without them (the RPN's objectness); {@link BELOW_LOW_THRESHOLD} gets 0 (background) and
 * {@link BETWEEN_THRESHOLDS} −1 (ignored, never sampled).
 */
export function matchLabels(matches: ArrayLike<number>, gtLabels?: ArrayLike<number>): Int32Array {
  const out = new Int32Array(matches.length);
  for (let i = 0; i < matches.length; i++) {
    const m = matches[i];
    if (m >= 0) {
      check(
        !gtLabels || m < gtLabels.length,
        `match ${i} names ground-truth box ${m} of ${gtLabels?.length}`,
        'pass the labels of the boxes the matcher saw',
      );
      out[i] = gtLabels ? gtLabels[m] : 1;
    } else out[i] = m === BELOW_LOW_THRESHOLD ? 0 : -1;
  }
  return out;
}
