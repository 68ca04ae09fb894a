/**
 * Pascal VOC average precision (the devkit's `voc_eval`): per class, detections by descending
 * score, each matched to the ground-truth box of its image it overlaps most; IoU > threshold on
 * an unclaimed box is a true positive, on a claimed one a false positive, and on a `difficult`
 * box neither. VOC2007's 11-point interpolation by default, or the area under the envelope.
 */
import { check } from '@perturb/core';

/** One detection for {@link vocEvaluate}. */
export interface VocDetection {
  /** The record (image) it belongs to: a {@link VocGroundTruthImage}'s `id`. */
  imageId: string | number;
  /** Class label (the same numbering as the ground truth's labels). */
  label: number;
  /** [x1, y1, x2, y2] in continuous coordinates. */
  box: readonly number[];
  score: number;
}

/** The ground truth of one image for {@link vocEvaluate} (a {@link DetectionRecord} fits). */
export interface VocGroundTruthImage {
  id: string | number;
  /** Flat [x1, y1, x2, y2, …]. */
  boxes: ArrayLike<number>;
  labels: ArrayLike<number>;
  /** Boxes a detector is not asked to find (neither hit nor miss). Default: none. */
  difficult?: ArrayLike<boolean | number>;
}

/** Options of {@link vocEvaluate}. */
export interface VocEvaluateOptions {
  /** A detection hits when IoU > this. Default 0.5. */
  iouThreshold?: number;
  /** true: VOC2007's 11-point interpolated AP; false: area under the precision envelope (VOC2010+). Default true. */
  use07Metric?: boolean;
}

/** Result of {@link vocEvaluate}. */
export interface VocEvaluation {
  /** Mean of the per-class APs over classes with at least one non-difficult box. */
  mAP: number;
  /** AP per label present in the ground truth or the detections; NaN where no non-difficult box exists. */
  perClass: { label: number; AP: number; numGroundTruth: number }[];
}

/**
 * VOC AP per class and their mean. Boxes are continuous `[x1, y1, x2, y2]` without the devkit's
 * +1 (VOC files loaded by {@link loadVocDetection} start at xmin − 1, so widths equal the
 * devkit's xmax − xmin + 1 and the numbers agree).
 */
export function vocEvaluate(
  detections: readonly VocDetection[],
  groundTruth: readonly VocGroundTruthImage[],
  options: VocEvaluateOptions = {},
): VocEvaluation {
  const { iouThreshold = 0.5, use07Metric = true } = options;
  const images = new Map<string | number, VocGroundTruthImage>();
  for (const image of groundTruth) {
    check(
      image.boxes.length === image.labels.length * 4,
      `VOC ground truth of image ${image.id} has ${image.boxes.length / 4} boxes but ${image.labels.length} labels`,
      'give one label per box',
    );
    images.set(image.id, image);
  }
  const labels = new Set<number>();
  for (const image of groundTruth) for (const l of Array.from(image.labels)) labels.add(l);
  for (const d of detections) {
    check(
      images.has(d.imageId),
      `a detection names image ${d.imageId}, which the ground truth does not have`,
      'evaluate detections only on the ground truth’s images',
    );
    check(
      d.box.length === 4,
      `a detection on image ${d.imageId} has box [${d.box.join(', ')}]`,
      'give boxes as [x1, y1, x2, y2]',
    );
    labels.add(d.label);
  }
  const perClass = [...labels]
    .sort((a, b) => a - b)
    .map((label) => classAp(label, detections, groundTruth, iouThreshold, use07Metric));
  const scored = perClass.filter((c) => c.numGroundTruth > 0);
  const mAP = scored.length === 0 ? NaN : scored.reduce((s, c) => s + c.AP, 0) / scored.length;
  return { mAP, perClass };
}

function classAp(
  label: number,
  detections: readonly VocDetection[],
  groundTruth: readonly VocGroundTruthImage[],
  iouThreshold: number,
  use07Metric: boolean,
): { label: number; AP: number; numGroundTruth: number } {
  const gt = new Map<string | number, { boxes: number[][]; difficult: boolean[]; claimed: boolean[] }>();
  let npos = 0;
  for (const image of groundTruth) {
    const boxes: number[][] = [];
    const difficult: boolean[] = [];
    for (let j = 0; j < image.labels.length; j++) {
      if (image.labels[j] !== label) continue;
      boxes.push([
        image.boxes[4 * j],
        image.boxes[4 * j + 1],
        image.boxes[4 * j + 2],
        image.boxes[4 * j + 3],
      ]);
      const hard = Boolean(image.difficult?.[j]);
      difficult.push(hard);
      if (!hard) npos++;
    }
    gt.set(image.id, { boxes, difficult, claimed: boxes.map(() => false) });
  }
  const mine = detections
    .map((d, i) => ({ d, i }))
    .filter((e) => e.d.label === label)
    .sort((a, b) => b.d.score - a.d.score || a.i - b.i)
    .map((e) => e.d);
  const tp: number[] = [];
  const fp: number[] = [];
  for (const d of mine) {
    const record = gt.get(d.imageId)!;
    const [x1, y1, x2, y2] = d.box;
    let best = -Infinity;
    let jBest = -1;
    record.boxes.forEach(([gx1, gy1, gx2, gy2], j) => {
      const iw = Math.max(Math.min(x2, gx2) - Math.max(x1, gx1), 0);
      const ih = Math.max(Math.min(y2, gy2) - Math.max(y1, gy1), 0);
      const inter = iw * ih;
      const overlap = inter / ((x2 - x1) * (y2 - y1) + (gx2 - gx1) * (gy2 - gy1) - inter);
      if (overlap > best) {
        best = overlap;
        jBest = j;
      }
    });
    let hit = 0;
    let miss = 0;
    if (best > iouThreshold) {
      if (!record.difficult[jBest]) {
        if (!record.claimed[jBest]) {
          hit = 1;
          record.claimed[jBest] = true;
        } else miss = 1;
      }
    } else miss = 1;
    tp.push((tp.at(-1) ?? 0) + hit);
    fp.push((fp.at(-1) ?? 0) + miss);
  }
  if (npos === 0) return { label, AP: NaN, numGroundTruth: 0 };
  const rec = tp.map((t) => t / npos);
  const prec = tp.map((t, i) => t / Math.max(t + fp[i], Number.EPSILON));
  return { label, AP: use07Metric ? elevenPoint(rec, prec) : envelopeArea(rec, prec), numGroundTruth: npos };
}

function elevenPoint(rec: number[], prec: number[]): number {
  let ap = 0;
  for (let i = 0; i < 11; i++) {
    const t = i * 0.1; // np.arange(0, 1.1, 0.1)
    let p = 0;
    rec.forEach((r, j) => {
      if (r >= t) p = Math.max(p, prec[j]);
    });
    ap += p / 11;
  }
  return ap;
}

function envelopeArea(rec: number[], prec: number[]): number {
  const mrec = [0, ...rec, 1];
  const mpre = [0, ...prec, 0];
  for (let i = mpre.length - 1; i > 0; i--) mpre[i - 1] = Math.max(mpre[i - 1], mpre[i]);
  let ap = 0;
  for (let i = 0; i + 1 < mrec.length; i++)
    if (mrec[i + 1] !== mrec[i]) ap += (mrec[i + 1] - mrec[i]) * mpre[i + 1];
  return ap;
}
