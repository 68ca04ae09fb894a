/**
 * Non-maximum suppression on the host: plain (torchvision's `nms`), per class
 * (`batched_nms`), and the inference-time selection (score threshold, per-class NMS, top-k).
 */
import { check } from '@perturb/core';

function checkInputs(boxes: ArrayLike<number>, scores: ArrayLike<number>): void {
  check(
    boxes.length === scores.length * 4,
    `${boxes.length / 4} boxes but ${scores.length} scores`,
    'pass flat [x1, y1, x2, y2, …] boxes with one score each',
  );
}

/** Indices sorted by descending score (stable: ties keep index order). */
function byScore(scores: ArrayLike<number>, indices?: ArrayLike<number>): number[] {
  const order = indices ? Array.from(indices) : Array.from({ length: scores.length }, (_, i) => i);
  return order.sort((a, b) => scores[b] - scores[a] || a - b);
}

function greedy(boxes: ArrayLike<number>, order: number[], iouThreshold: number, keep: number[]): void {
  const f = Math.fround;
  const suppressed = new Uint8Array(order.length);
  const area = (i: number) => f(f(boxes[4 * i + 2] - boxes[4 * i]) * f(boxes[4 * i + 3] - boxes[4 * i + 1]));
  for (let a = 0; a < order.length; a++) {
    if (suppressed[a]) continue;
    const i = order[a];
    keep.push(i);
    const x1 = f(boxes[4 * i]);
    const y1 = f(boxes[4 * i + 1]);
    const x2 = f(boxes[4 * i + 2]);
    const y2 = f(boxes[4 * i + 3]);
    const areaI = area(i);
    for (let b = a + 1; b < order.length; b++) {
      if (suppressed[b]) continue;
      const j = order[b];
      const w = Math.max(0, f(Math.min(x2, f(boxes[4 * j + 2])) - Math.max(x1, f(boxes[4 * j]))));
      const h = Math.max(0, f(Math.min(y2, f(boxes[4 * j + 3])) - Math.max(y1, f(boxes[4 * j + 1]))));
      const inter = f(w * h);
      const iou = f(inter / f(f(areaI + area(j)) - inter));
      if (iou > iouThreshold) suppressed[b] = 1;
    }
  }
}

/**
 * Greedy NMS: visits boxes by descending score and drops every later box whose IoU with a kept
 * one is > `iouThreshold`. Returns the kept indices by descending score. Flat boxes `[N·4]`.
 */
export function nms(boxes: ArrayLike<number>, scores: ArrayLike<number>, iouThreshold: number): Int32Array {
  checkInputs(boxes, scores);
  const keep: number[] = [];
  greedy(boxes, byScore(scores), iouThreshold, keep);
  return Int32Array.from(keep);
}

/**
 * NMS within each class only (torchvision's `batched_nms`): boxes of different `classes` never
 * suppress each other. Returns the kept indices by descending score.
 */
export function batchedNms(
  boxes: ArrayLike<number>,
  scores: ArrayLike<number>,
  classes: ArrayLike<number>,
  iouThreshold: number,
): Int32Array {
  checkInputs(boxes, scores);
  check(
    classes.length === scores.length,
    `${scores.length} scores but ${classes.length} class ids`,
    'pass one class id per box',
  );
  const groups = new Map<number, number[]>();
  for (const i of byScore(scores)) {
    const list = groups.get(classes[i]);
    if (list) list.push(i);
    else groups.set(classes[i], [i]);
  }
  const keep: number[] = [];
  for (const order of groups.values()) greedy(boxes, order, iouThreshold, keep);
  return Int32Array.from(byScore(scores, keep));
}

/** Options of {@link selectDetections}. */
export interface SelectDetectionsOptions {
  /** Drop boxes scoring ≤ this before NMS (torchvision's `box_score_thresh`, default 0.05). */
  scoreThreshold?: number;
  /** Per-class NMS IoU threshold (default 0.5). */
  iouThreshold?: number;
  /** Keep at most this many, best first (default 100). */
  maxDetections?: number;
  /** Drop boxes narrower or shorter than this (default 1e-2, as torchvision's RoI head). */
  minSize?: number;
}

/**
 * The inference-time selection of one image's detections: score threshold, small-box removal,
 * per-class NMS, then the best `maxDetections`. Returns indices into the inputs, best first.
 */
export function selectDetections(
  boxes: ArrayLike<number>,
  scores: ArrayLike<number>,
  classes: ArrayLike<number>,
  options: SelectDetectionsOptions = {},
): Int32Array {
  const { scoreThreshold = 0.05, iouThreshold = 0.5, maxDetections = 100, minSize = 1e-2 } = options;
  checkInputs(boxes, scores);
  const candidates: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    const wide = boxes[4 * i + 2] - boxes[4 * i] >= minSize && boxes[4 * i + 3] - boxes[4 * i + 1] >= minSize;
    if (scores[i] > scoreThreshold && wide) candidates.push(i);
  }
  const pick = (list: number[]) =>
    list.flatMap((i) => [boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2], boxes[4 * i + 3]]);
  const kept = batchedNms(
    pick(candidates),
    candidates.map((i) => scores[i]),
    candidates.map((i) => classes[i]),
    iouThreshold,
  );
  return Int32Array.from(Array.from(kept.subarray(0, maxDetections), (k) => candidates[k]));
}

/** Options of {@link filterProposals} (torchvision's `RegionProposalNetwork` settings). */
export interface FilterProposalsOptions {
  /** Best-scored proposals kept per pyramid level before NMS (torchvision: 2000 training, 1000 testing). */
  preNmsTopN: number;
  /** Proposals kept after NMS (torchvision: 2000 training, 1000 testing). */
  postNmsTopN: number;
  /** NMS IoU threshold, applied within each level. Default 0.7. */
  nmsThreshold?: number;
  /** Drop proposals whose objectness probability is below this. Default 0. */
  scoreThreshold?: number;
  /** Drop proposals narrower or shorter than this after clipping. Default 1e-3. */
  minSize?: number;
}

/**
 * The region proposal network's selection for one image (torchvision's
 * `RegionProposalNetwork.filter_proposals`): the `preNmsTopN` best objectness logits of each
 * level (`anchorsPerLevel` consecutive proposals each), sigmoid, clipping to `imageSize`
 * [height, width], small-box removal, the score threshold, NMS within each level, and the first
 * `postNmsTopN`. `proposals` are decoded boxes, flat; returns the boxes and probabilities kept,
 * best first.
 */
export function filterProposals(
  proposals: ArrayLike<number>,
  objectness: ArrayLike<number>,
  anchorsPerLevel: readonly number[],
  imageSize: readonly [number, number],
  options: FilterProposalsOptions,
): { boxes: Float32Array; scores: Float32Array } {
  const { preNmsTopN, postNmsTopN, nmsThreshold = 0.7, scoreThreshold = 0, minSize = 1e-3 } = options;
  checkInputs(proposals, objectness);
  const total = anchorsPerLevel.reduce((a, b) => a + b, 0);
  check(
    total === objectness.length,
    `anchorsPerLevel sums to ${total} but there are ${objectness.length} proposals`,
    'pass the number of anchors of each pyramid level, in the proposals’ order',
  );
  const f = Math.fround;
  const [height, width] = imageSize;
  const boxes: number[] = [];
  const scores: number[] = [];
  const levels: number[] = [];
  let offset = 0;
  anchorsPerLevel.forEach((count, level) => {
    const best = Array.from({ length: count }, (_, i) => offset + i)
      .sort((a, b) => objectness[b] - objectness[a] || a - b)
      .slice(0, Math.min(preNmsTopN, count));
    for (const i of best) {
      const x1 = Math.min(Math.max(f(proposals[4 * i]), 0), width);
      const y1 = Math.min(Math.max(f(proposals[4 * i + 1]), 0), height);
      const x2 = Math.min(Math.max(f(proposals[4 * i + 2]), 0), width);
      const y2 = Math.min(Math.max(f(proposals[4 * i + 3]), 0), height);
      if (!(f(x2 - x1) >= minSize && f(y2 - y1) >= minSize)) continue;
      const probability = f(1 / (1 + Math.exp(-objectness[i])));
      if (!(probability >= scoreThreshold)) continue;
      boxes.push(x1, y1, x2, y2);
      scores.push(probability);
      levels.push(level);
    }
    offset += count;
  });
  const keep = batchedNms(boxes, scores, levels, nmsThreshold).subarray(0, postNmsTopN);
  return {
    boxes: Float32Array.from(Array.from(keep).flatMap((k) => boxes.slice(4 * k, 4 * k + 4))),
    scores: Float32Array.from(keep, (k) => scores[k]),
  };
}
