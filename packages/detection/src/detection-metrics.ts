/**
 * Scoring detections against a batch's boxes: the hit count behind the detection task's
 * accuracy, and the COCO-style evaluation over every image of an evaluation.
 */
import { boxIouArray } from './boxes';
import { PerturbError } from '@perturb/core';
import { type CocoAnnotation, type CocoDetection, type CocoGroundTruth, cocoEvaluate } from './coco-eval';
import type { ImageBoxes } from './ground-truth';
import type { Detections } from './postprocess';

/** The IoU at which a detection of the right class finds its object (PASCAL VOC's criterion). */
export const HIT_IOU = 0.5;

/**
 * How many of one image's ground-truth objects a detection finds: detections visit by
 * descending score (they come best first) and each takes the unclaimed object of its class it
 * overlaps most, if that IoU is ≥ {@link HIT_IOU} — COCO's greedy matching at one threshold.
 */
export function countHits(detections: Detections, truth: ImageBoxes): number {
  const numTruth = truth.classes.length;
  const iou = boxIouArray(detections.boxes, truth.boxes);
  const claimed = new Uint8Array(numTruth);
  let hits = 0;
  detections.classes.forEach((cls, d) => {
    let best = -1;
    let bestIou = HIT_IOU;
    for (let g = 0; g < numTruth; g++) {
      const value = iou[d * numTruth + g];
      if (!claimed[g] && truth.classes[g] === cls && value >= bestIou) {
        best = g;
        bestIou = value;
      }
    }
    if (best >= 0) {
      claimed[best] = 1;
      hits++;
    }
  });
  return hits;
}

/** A (x1, y1, x2, y2) box as COCO's [x, y, width, height]: the same continuous edges. */
function xywh(boxes: ArrayLike<number>, k: number): [number, number, number, number] {
  const [x1, y1, x2, y2] = [boxes[4 * k], boxes[4 * k + 1], boxes[4 * k + 2], boxes[4 * k + 3]];
  return [x1, y1, x2 - x1, y2 - y1];
}

/** The scores a detection evaluation reports (fractions 0..1; −1 where nothing was there to score). */
export type DetectionScores = {
  /** AP averaged over IoU .50:.05:.95, 100 detections per image (COCO's headline number). */
  mAP: number;
  AP50: number;
  AP75: number;
  APsmall: number;
  APmedium: number;
  APlarge: number;
  /** Recall averaged over IoU .50:.05:.95 with up to 100 detections per image. */
  AR100: number;
};

/**
 * COCO-format detections and ground truth gathered image by image, scored by
 * {@link cocoEvaluate}. Boxes keep their pixel edges: (x1, y1, x2, y2) with exclusive x2/y2
 * becomes [x1, y1, x2 − x1, y2 − y1], as torchvision's COCO evaluation converts them, and an
 * object's area (which sorts it into small/medium/large) is its box's. Given the evaluated
 * set's own ground truth (`datasetGroundTruth`: crowd and difficult objects included, which
 * batches leave out), the images added are its images in order and class c its c-th category,
 * and the objects added are not used.
 */
export class CocoAccumulator {
  private readonly detections: CocoDetection[] = [];
  private readonly annotations: CocoAnnotation[] = [];
  private images = 0;

  constructor(
    private readonly numClasses: number,
    private readonly groundTruth?: CocoGroundTruth,
  ) {
    if (groundTruth && groundTruth.categories.length !== numClasses) {
      throw new PerturbError(
        `the ground truth has ${groundTruth.categories.length} categories, but the detector has ${numClasses} classes`,
        'evaluate a detector on the dataset it was built for (its object classes)',
      );
    }
  }

  /** Adds one image: its detections and its ground-truth objects. */
  add(detections: Detections, truth: ImageBoxes): void {
    const index = this.images++;
    const imageId = this.groundTruth ? this.groundTruth.images[index]?.id : index;
    detections.classes.forEach((cls, k) => {
      this.detections.push({
        image_id: imageId,
        category_id: this.groundTruth ? this.groundTruth.categories[cls].id : cls,
        bbox: xywh(detections.boxes, k),
        score: detections.scores[k],
      });
    });
    if (this.groundTruth) return;
    truth.classes.forEach((cls, k) => {
      const bbox = xywh(truth.boxes, k);
      this.annotations.push({
        id: this.annotations.length + 1,
        image_id: imageId,
        category_id: cls,
        bbox,
        area: bbox[2] * bbox[3],
        iscrowd: 0,
      });
    });
  }

  /** The COCO scores over every image added. */
  result(): DetectionScores {
    const { groundTruth } = this;
    if (groundTruth && groundTruth.images.length !== this.images) {
      throw new PerturbError(
        `the detection evaluation saw ${this.images} images, but the ground truth it was given has ${groundTruth.images.length}`,
        'evaluate every image of the dataset once, in order',
      );
    }
    const scores = cocoEvaluate(
      this.detections,
      groundTruth ?? {
        images: Array.from({ length: this.images }, (_, id) => ({ id })),
        annotations: this.annotations,
        categories: Array.from({ length: this.numClasses }, (_, id) => ({ id })),
      },
    );
    return {
      mAP: scores.AP,
      AP50: scores.AP50,
      AP75: scores.AP75,
      APsmall: scores.APsmall,
      APmedium: scores.APmedium,
      APlarge: scores.APlarge,
      AR100: scores.AR100,
    };
  }
}
