/**
 * COCO-style box evaluation, following pycocotools' `COCOeval` (iouType 'bbox') step for step:
 * per image and category, detections sorted by score (stable) and cut at 100, ground truth
 * sorted with ignored boxes last, greedy matching at each of the ten IoU thresholds .50:.05:.95,
 * crowd regions matched with IoU = intersection / detection area and never counted as false
 * positives, area ranges all/small/medium/large = [0, 1e5²], [0, 32²], [32², 96²], [96², 1e5²];
 * then per category the cumulative precision/recall, the precision envelope, 101 recall
 * thresholds by a left `searchsorted`, and the means over entries that are not −1.
 */
import { PerturbError, check } from '@perturb/core';

/** An image of a COCO ground-truth file (only `id` is used here). */
export interface CocoImage {
  id: number;
  file_name?: string;
  width?: number;
  height?: number;
}

/** A box annotation of a COCO ground-truth file. */
export interface CocoAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  /** [x, y, width, height]. */
  bbox: readonly [number, number, number, number] | readonly number[];
  /** The object's area (COCO: the segmentation's); it sorts objects into small/medium/large. Default: width·height. */
  area?: number;
  /** 1 (or true) for a crowd region: matched but never missed, and no detection on it is a false positive. */
  iscrowd?: number | boolean;
}

/** A category of a COCO ground-truth file. */
export interface CocoCategory {
  id: number;
  name?: string;
  supercategory?: string;
}

/** A COCO-format ground-truth object (the parsed `instances_*.json`). */
export interface CocoGroundTruth {
  images: readonly CocoImage[];
  annotations: readonly CocoAnnotation[];
  categories: readonly CocoCategory[];
}

/** One detection in COCO's results format. */
export interface CocoDetection {
  image_id: number;
  category_id: number;
  /** [x, y, width, height]. */
  bbox: readonly [number, number, number, number] | readonly number[];
  score: number;
}

/** The twelve numbers of `COCOeval.summarize()`, by name, plus per-category AP. */
export interface CocoEvaluation {
  /** AP averaged over IoU .50:.05:.95, all areas, 100 detections per image (the COCO "mAP"). */
  AP: number;
  AP50: number;
  AP75: number;
  APsmall: number;
  APmedium: number;
  APlarge: number;
  AR1: number;
  AR10: number;
  AR100: number;
  ARsmall: number;
  ARmedium: number;
  ARlarge: number;
  /** The same twelve numbers in `COCOeval.stats` order. */
  stats: number[];
  /** AP@[.50:.95] (all areas, 100 detections) of each category, −1 where it has no ground truth. */
  perCategory: { categoryId: number; AP: number }[];
}

/** `np.linspace(start, stop, num)` with numpy's arithmetic, so thresholds compare equal to pycocotools'. */
function linspace(start: number, stop: number, num: number): number[] {
  const step = (stop - start) / (num - 1);
  const out = Array.from({ length: num }, (_, i) => i * step + start);
  out[num - 1] = stop;
  return out;
}

/** pycocotools' `Params` for iouType 'bbox'. */
export const COCO_IOU_THRESHOLDS: readonly number[] = linspace(
  0.5,
  0.95,
  Math.round((0.95 - 0.5) / 0.05) + 1,
);
const REC_THRESHOLDS = linspace(0, 1, Math.round(1 / 0.01) + 1);
const MAX_DETS = [1, 10, 100];
const AREA_RANGES: readonly (readonly [number, number])[] = [
  [0, 1e5 ** 2],
  [0, 32 ** 2],
  [32 ** 2, 96 ** 2],
  [96 ** 2, 1e5 ** 2],
];
const EPS = 2.220446049250313e-16; // np.spacing(1)

interface Gt {
  bbox: readonly number[];
  area: number;
  crowd: boolean;
}
interface Dt {
  bbox: readonly number[];
  area: number;
  score: number;
}

/** pycocotools' `bbIou`: rows are detections, columns ground truth; crowd → intersection / detection area. */
function bbIou(dts: Dt[], gts: Gt[]): Float64Array {
  const out = new Float64Array(dts.length * gts.length);
  for (let g = 0; g < gts.length; g++) {
    const G = gts[g].bbox;
    const ga = G[2] * G[3];
    for (let d = 0; d < dts.length; d++) {
      const D = dts[d].bbox;
      const da = D[2] * D[3];
      const w = Math.min(D[2] + D[0], G[2] + G[0]) - Math.max(D[0], G[0]);
      if (w <= 0) continue;
      const h = Math.min(D[3] + D[1], G[3] + G[1]) - Math.max(D[1], G[1]);
      if (h <= 0) continue;
      const i = w * h;
      out[d * gts.length + g] = i / (gts[g].crowd ? da : da + ga - i);
    }
  }
  return out;
}

interface ImageEval {
  /** Scores of the (at most 100) detections, descending. */
  dtScores: number[];
  /** [T][D]: matched to a ground-truth box. */
  dtMatched: Uint8Array[];
  /** [T][D]: ignored (matched to an ignored box, or unmatched and outside the area range). */
  dtIgnore: Uint8Array[];
  /** [G]: ground truth ignored (crowd or outside the area range). */
  gtIgnore: Uint8Array;
}

function evaluateImage(
  gtsIn: Gt[],
  dtsIn: Dt[],
  range: readonly [number, number],
  maxDet: number,
): ImageEval | null {
  if (gtsIn.length === 0 && dtsIn.length === 0) return null;
  const T = COCO_IOU_THRESHOLDS.length;
  // Detections by descending score (stable), cut at the largest maxDets: computeIoU's order.
  const dts = dtsIn
    .map((d, i) => ({ d, i }))
    .sort((a, b) => b.d.score - a.d.score || a.i - b.i)
    .map((e) => e.d)
    .slice(0, MAX_DETS[MAX_DETS.length - 1]);
  const ious = gtsIn.length > 0 && dts.length > 0 ? bbIou(dts, gtsIn) : null;
  const ignoreOf = (g: Gt) => (g.crowd || g.area < range[0] || g.area > range[1] ? 1 : 0);
  // Ground truth with ignored boxes last (stable).
  const gtOrder = gtsIn.map((g, i) => ({ g, i, ig: ignoreOf(g) })).sort((a, b) => a.ig - b.ig || a.i - b.i);
  const G = gtOrder.length;
  const dt = dts.slice(0, maxDet);
  const D = dt.length;
  const gtIgnore = Uint8Array.from(gtOrder, (e) => e.ig);
  const dtMatched: Uint8Array[] = [];
  const dtIgnore: Uint8Array[] = [];
  for (let t = 0; t < T; t++) {
    const gtMatched = new Uint8Array(G);
    const matched = new Uint8Array(D);
    const ignore = new Uint8Array(D);
    if (ious) {
      for (let d = 0; d < D; d++) {
        let iou = Math.min(COCO_IOU_THRESHOLDS[t], 1 - 1e-10);
        let m = -1;
        for (let g = 0; g < G; g++) {
          // A matched box is taken, unless it is a crowd region.
          if (gtMatched[g] && !gtOrder[g].g.crowd) continue;
          // Matched to a regular box already: the ignored ones after it cannot do better.
          if (m > -1 && gtIgnore[m] === 0 && gtIgnore[g] === 1) break;
          const v = ious[d * gtsIn.length + gtOrder[g].i];
          if (v < iou) continue;
          iou = v;
          m = g;
        }
        if (m === -1) continue;
        ignore[d] = gtIgnore[m];
        matched[d] = 1;
        gtMatched[m] = 1;
      }
    }
    for (let d = 0; d < D; d++) {
      if (!matched[d] && (dt[d].area < range[0] || dt[d].area > range[1])) ignore[d] = 1;
    }
    dtMatched.push(matched);
    dtIgnore.push(ignore);
  }
  return { dtScores: dt.map((d) => d.score), dtMatched, dtIgnore, gtIgnore };
}

function finite(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function checkBbox(bbox: unknown, what: string): readonly number[] {
  if (!Array.isArray(bbox) || bbox.length !== 4 || !bbox.every(finite)) {
    throw new PerturbError(
      `${what} has bbox ${JSON.stringify(bbox)}`,
      'give bbox as [x, y, width, height] numbers',
    );
  }
  return bbox;
}

/**
 * Evaluates COCO-format `detections` against COCO-format `groundTruth` as pycocotools'
 * `COCOeval(gt, gt.loadRes(detections), 'bbox')` with `evaluate(); accumulate(); summarize()`
 * does, and returns its twelve numbers (−1 where no category has ground truth in that
 * setting). Differences: no detections at all gives AP 0 (pycocotools' `loadRes` fails on an
 * empty list), a ground-truth annotation without `area` uses its box area, and a ground-truth
 * `id` of 0 is matched like any other (pycocotools' `dtm == 0` test would miss it).
 */
export function cocoEvaluate(
  detections: readonly CocoDetection[],
  groundTruth: CocoGroundTruth,
): CocoEvaluation {
  check(
    groundTruth &&
      Array.isArray(groundTruth.images) &&
      Array.isArray(groundTruth.annotations) &&
      Array.isArray(groundTruth.categories),
    'the COCO ground truth lacks its images, annotations or categories list',
    'pass the parsed instances JSON ({ images, annotations, categories })',
  );
  check(
    Array.isArray(detections),
    'COCO detections are not a list',
    'pass an array of { image_id, category_id, bbox, score }',
  );
  const imgIds = [...new Set(groundTruth.images.map((i) => i.id))].sort((a, b) => a - b);
  const catIds = [...new Set(groundTruth.categories.map((c) => c.id))].sort((a, b) => a - b);
  const imgIndex = new Map(imgIds.map((id, i) => [id, i]));
  const catIndex = new Map(catIds.map((id, i) => [id, i]));
  const I = imgIds.length;
  const K = catIds.length;
  const gts: Gt[][] = Array.from({ length: K * I }, () => []);
  const dts: Dt[][] = Array.from({ length: K * I }, () => []);

  groundTruth.annotations.forEach((a, n) => {
    const i = imgIndex.get(a.image_id);
    const k = catIndex.get(a.category_id);
    if (i === undefined || k === undefined) return;
    const bbox = checkBbox(a.bbox, `ground-truth annotation ${a.id ?? n}`);
    const area = a.area ?? bbox[2] * bbox[3];
    check(
      finite(area),
      `ground-truth annotation ${a.id ?? n} has area ${JSON.stringify(a.area)}`,
      'give area as a number',
    );
    gts[k * I + i].push({ bbox, area, crowd: Boolean(a.iscrowd) });
  });
  detections.forEach((d, n) => {
    const i = imgIndex.get(d.image_id);
    check(
      i !== undefined,
      `detection ${n} names image_id ${d.image_id}, which the ground truth does not have`,
      'evaluate detections only on the ground truth’s images',
    );
    check(
      finite(d.score),
      `detection ${n} has score ${JSON.stringify(d.score)}`,
      'give each detection a finite score',
    );
    const bbox = checkBbox(d.bbox, `detection ${n}`);
    const k = catIndex.get(d.category_id);
    if (k === undefined) return;
    dts[k * I + i].push({ bbox, area: bbox[2] * bbox[3], score: d.score });
  });

  const T = COCO_IOU_THRESHOLDS.length;
  const R = REC_THRESHOLDS.length;
  const A = AREA_RANGES.length;
  const M = MAX_DETS.length;
  // precision[t][r][k][a][m] and recall[t][k][a][m], −1 where undefined.
  const precision = new Float64Array(T * R * K * A * M).fill(-1);
  const recall = new Float64Array(T * K * A * M).fill(-1);
  const pIndex = (t: number, r: number, k: number, a: number, m: number) =>
    (((t * R + r) * K + k) * A + a) * M + m;
  const rIndex = (t: number, k: number, a: number, m: number) => ((t * K + k) * A + a) * M + m;

  for (let k = 0; k < K; k++) {
    for (let a = 0; a < A; a++) {
      const evals: ImageEval[] = [];
      for (let i = 0; i < I; i++) {
        const e = evaluateImage(gts[k * I + i], dts[k * I + i], AREA_RANGES[a], MAX_DETS[M - 1]);
        if (e) evals.push(e);
      }
      if (evals.length === 0) continue;
      let npig = 0;
      for (const e of evals) for (const ig of e.gtIgnore) if (ig === 0) npig++;
      if (npig === 0) continue;
      for (let m = 0; m < M; m++) {
        const maxDet = MAX_DETS[m];
        const entries: { score: number; e: ImageEval; d: number }[] = [];
        for (const e of evals)
          for (let d = 0; d < Math.min(maxDet, e.dtScores.length); d++)
            entries.push({ score: e.dtScores[d], e, d });
        entries.sort((x, y) => y.score - x.score); // stable, as numpy's mergesort
        const nd = entries.length;
        for (let t = 0; t < T; t++) {
          const pr = new Float64Array(nd);
          const rc = new Float64Array(nd);
          let tp = 0;
          let fp = 0;
          for (let j = 0; j < nd; j++) {
            const { e, d } = entries[j];
            if (!e.dtIgnore[t][d]) {
              if (e.dtMatched[t][d]) tp++;
              else fp++;
            }
            rc[j] = tp / npig;
            pr[j] = tp / (fp + tp + EPS);
          }
          recall[rIndex(t, k, a, m)] = nd ? rc[nd - 1] : 0;
          for (let j = nd - 1; j > 0; j--) if (pr[j] > pr[j - 1]) pr[j - 1] = pr[j];
          let j = 0;
          for (let r = 0; r < R; r++) {
            while (j < nd && rc[j] < REC_THRESHOLDS[r]) j++; // searchsorted, side 'left'
            precision[pIndex(t, r, k, a, m)] = j < nd ? pr[j] : 0;
          }
        }
      }
    }
  }

  const meanOf = (values: number[]) => {
    const kept = values.filter((v) => v > -1);
    return kept.length === 0 ? -1 : kept.reduce((s, v) => s + v, 0) / kept.length;
  };
  const summarize = (
    ap: boolean,
    iouThr: number | null,
    areaIdx: number,
    maxDets: number,
    cats = Array.from({ length: K }, (_, k) => k),
  ) => {
    const m = MAX_DETS.indexOf(maxDets);
    const ts =
      iouThr === null
        ? COCO_IOU_THRESHOLDS.map((_, t) => t)
        : COCO_IOU_THRESHOLDS.flatMap((v, t) => (v === iouThr ? [t] : []));
    const values: number[] = [];
    for (const t of ts) {
      for (const k of cats) {
        if (ap) for (let r = 0; r < R; r++) values.push(precision[pIndex(t, r, k, areaIdx, m)]);
        else values.push(recall[rIndex(t, k, areaIdx, m)]);
      }
    }
    return meanOf(values);
  };
  const stats = [
    summarize(true, null, 0, 100),
    summarize(true, 0.5, 0, 100),
    summarize(true, 0.75, 0, 100),
    summarize(true, null, 1, 100),
    summarize(true, null, 2, 100),
    summarize(true, null, 3, 100),
    summarize(false, null, 0, 1),
    summarize(false, null, 0, 10),
    summarize(false, null, 0, 100),
    summarize(false, null, 1, 100),
    summarize(false, null, 2, 100),
    summarize(false, null, 3, 100),
  ];
  const [AP, AP50, AP75, APsmall, APmedium, APlarge, AR1, AR10, AR100, ARsmall, ARmedium, ARlarge] = stats;
  return {
    AP,
    AP50,
    AP75,
    APsmall,
    APmedium,
    APlarge,
    AR1,
    AR10,
    AR100,
    ARsmall,
    ARmedium,
    ARlarge,
    stats,
    perCategory: catIds.map((categoryId, k) => ({ categoryId, AP: summarize(true, null, 0, 100, [k]) })),
  };
}
