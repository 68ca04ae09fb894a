import { PerturbError } from '@perturb/core';
import { describe, expect, it } from 'vitest';
import {
  COCO_IOU_THRESHOLDS,
  type CocoAnnotation,
  type CocoDetection,
  type CocoGroundTruth,
  cocoEvaluate,
} from './coco-eval';
import { fixture, maxAbsDiff } from './test-support';

type Box = [number, number, number, number];

/** Ground truth over images 1..images with categories 1..categories; boxes as [image, category, bbox, crowd?]. */
function groundTruth(
  images: number,
  boxes: [number, number, Box, number?][],
  categories = 1,
): CocoGroundTruth {
  return {
    images: Array.from({ length: images }, (_, i) => ({ id: i + 1 })),
    categories: Array.from({ length: categories }, (_, i) => ({ id: i + 1, name: `c${i + 1}` })),
    annotations: boxes.map(([image_id, category_id, bbox, iscrowd], i): CocoAnnotation => ({
      id: i + 1,
      image_id,
      category_id,
      bbox,
      area: bbox[2] * bbox[3],
      iscrowd: iscrowd ?? 0,
    })),
  };
}
const det = (image_id: number, category_id: number, bbox: Box, score: number): CocoDetection => ({
  image_id,
  category_id,
  bbox,
  score,
});

describe('cocoEvaluate on hand-computed cases', () => {
  it('uses the ten thresholds .50:.05:.95 exactly as numpy.linspace gives them', () => {
    expect(COCO_IOU_THRESHOLDS).toEqual([
      0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.8999999999999999, 0.95,
    ]);
  });

  it('perfect detections: every AP and AR is 1 (small, medium and large objects)', () => {
    const boxes: [number, number, Box][] = [
      [1, 1, [0, 0, 20, 20]], // small (400 < 32²)
      [1, 2, [30, 30, 50, 40]], // medium
      [2, 1, [5, 5, 120, 100]], // large (> 96²)
      [2, 2, [0, 0, 8, 8]],
    ];
    const result = cocoEvaluate(
      boxes.map(([i, c, b], n) => det(i, c, b, 0.9 - n * 0.1)),
      groundTruth(2, boxes, 2),
    );
    for (const value of result.stats) expect(value).toBeCloseTo(1, 12);
    expect(result.perCategory.map((c) => c.categoryId)).toEqual([1, 2]);
    for (const c of result.perCategory) expect(c.AP).toBeCloseTo(1, 12);
  });

  it('a false positive ranked first halves the precision: AP 0.5, AR@1 0, AR@10 1', () => {
    const result = cocoEvaluate(
      [det(1, 1, [50, 50, 10, 10], 0.9), det(1, 1, [0, 0, 10, 10], 0.8)],
      groundTruth(1, [[1, 1, [0, 0, 10, 10]]]),
    );
    expect(result.AP).toBeCloseTo(0.5, 12);
    expect(result.AP50).toBeCloseTo(0.5, 12);
    expect(result.AR1).toBe(0);
    expect(result.AR10).toBeCloseTo(1, 12);
    expect(result.AR100).toBeCloseTo(1, 12);
  });

  it('a false positive between two hits: AP = (51·1 + 50·⅔)/101 from the envelope and 101 recall points', () => {
    const result = cocoEvaluate(
      [det(1, 1, [0, 0, 10, 10], 0.9), det(1, 1, [50, 50, 10, 10], 0.8), det(1, 1, [20, 0, 10, 10], 0.7)],
      groundTruth(1, [
        [1, 1, [0, 0, 10, 10]],
        [1, 1, [20, 0, 10, 10]],
      ]),
    );
    expect(result.AP).toBeCloseTo((51 + (50 * 2) / 3) / 101, 12);
    expect(result.AR1).toBeCloseTo(0.5, 12);
  });

  it('one detection at IoU 0.6 is a hit at 3 of the 10 thresholds: AP 0.3, AP50 1, AP75 0', () => {
    // gt 10×10, detection 10×6 inside it: IoU = 60/100 = 0.6 ≥ thresholds .50, .55, .60.
    const result = cocoEvaluate([det(1, 1, [0, 0, 10, 6], 0.5)], groundTruth(1, [[1, 1, [0, 0, 10, 10]]]));
    expect(result.AP).toBeCloseTo(0.3, 12);
    expect(result.AP50).toBeCloseTo(1, 12);
    expect(result.AP75).toBe(0);
    expect(result.APsmall).toBeCloseTo(0.3, 12);
    expect(result.APmedium).toBe(-1);
    expect(result.APlarge).toBe(-1);
    expect(result.AR100).toBeCloseTo(0.3, 12);
    expect(result.ARmedium).toBe(-1);
  });

  it('crowd regions absorb any number of detections (IoU = intersection / detection area) and are never missed', () => {
    const boxes: [number, number, Box, number?][] = [
      [1, 1, [0, 0, 10, 10]],
      [1, 1, [20, 0, 30, 50], 1],
    ];
    const detections = [
      det(1, 1, [25, 5, 10, 10], 0.95),
      det(1, 1, [0, 0, 10, 10], 0.9),
      det(1, 1, [30, 30, 5, 5], 0.85),
    ];
    const crowd = cocoEvaluate(detections, groundTruth(1, boxes));
    expect(crowd.AP).toBeCloseTo(1, 12);
    expect(crowd.APsmall).toBeCloseTo(1, 12);
    expect(crowd.APmedium).toBe(-1); // the only medium object is the crowd region: nothing to find
    expect(crowd.AR100).toBeCloseTo(1, 12);
    // The same region as a regular box: the two detections inside it are false positives and it is missed.
    const regular = cocoEvaluate(detections, groundTruth(1, [boxes[0], [1, 1, [20, 0, 30, 50]]]));
    expect(regular.AP).toBeCloseTo(25.5 / 101, 12);
    expect(regular.AR100).toBeCloseTo(0.5, 12);
  });

  it('a detection prefers a regular box to a crowd region it overlaps more', () => {
    // The detection covers the regular box at IoU 0.81 and lies inside the crowd region (IoU 1 there).
    const result = cocoEvaluate(
      [det(1, 1, [0, 0, 10, 10], 0.9)],
      groundTruth(1, [
        [1, 1, [0, 0, 100, 100], 1],
        [1, 1, [0, 0, 9, 9]],
      ]),
    );
    expect(result.AP50).toBeCloseTo(1, 12);
  });

  it('empty images: none changes nothing; a detection there is a false positive by its rank', () => {
    const gt = groundTruth(3, [
      [1, 1, [0, 0, 10, 10]],
      [2, 1, [0, 0, 20, 20]],
    ]);
    const hits = [det(1, 1, [0, 0, 10, 10], 0.8), det(2, 1, [0, 0, 20, 20], 0.7)];
    expect(cocoEvaluate(hits, gt).AP).toBeCloseTo(1, 12);
    expect(cocoEvaluate([...hits, det(3, 1, [0, 0, 5, 5], 0.1)], gt).AP).toBeCloseTo(1, 12);
    // Ranked first: precision ½ at recall ½ and ⅔ at recall 1, so the envelope is ⅔ throughout.
    const first = cocoEvaluate([...hits, det(3, 1, [0, 0, 5, 5], 0.95)], gt);
    expect(first.AP).toBeCloseTo(2 / 3, 12);
  });

  it('no detections: AP and AR 0; a category without ground truth is left out (−1)', () => {
    const gt = groundTruth(1, [[1, 1, [0, 0, 10, 10]]], 2);
    const none = cocoEvaluate([], gt);
    expect(none.AP).toBe(0);
    expect(none.AR100).toBe(0);
    expect(none.perCategory).toEqual([
      { categoryId: 1, AP: 0 },
      { categoryId: 2, AP: -1 },
    ]);
    expect(cocoEvaluate([], groundTruth(1, [], 1)).AP).toBe(-1); // nothing to find anywhere
    // Detections of a category with no ground truth do not count against the mean.
    expect(cocoEvaluate([det(1, 1, [0, 0, 10, 10], 0.5), det(1, 2, [0, 0, 10, 10], 0.9)], gt).AP).toBeCloseTo(
      1,
      12,
    );
    // Detections of categories not in the ground truth are ignored.
    expect(cocoEvaluate([det(1, 1, [0, 0, 10, 10], 0.5), det(1, 7, [0, 0, 1, 1], 0.9)], gt).AP).toBeCloseTo(
      1,
      12,
    );
  });

  it('AR@1/10/100 count at most that many detections per image; more than 100 are cut', () => {
    const boxes: [number, number, Box][] = Array.from({ length: 12 }, (_, i) => [1, 1, [i * 20, 0, 10, 10]]);
    const detections = boxes.map(([i, c, b], n) => det(i, c, b, 1 - n / 100));
    const result = cocoEvaluate(detections, groundTruth(1, boxes));
    expect(result.AR1).toBeCloseTo(1 / 12, 12);
    expect(result.AR10).toBeCloseTo(10 / 12, 12);
    expect(result.AR100).toBe(1);
    // 100 better-scored misses push the hits past the 100-detection cut.
    const misses = Array.from({ length: 100 }, (_, n) => det(1, 1, [0, 500 + n, 3, 3], 2 + n / 1000));
    expect(cocoEvaluate([...misses, ...detections], groundTruth(1, boxes)).AR100).toBe(0);
  });

  it('medium/large ranges use the annotation area, detections outside a range are ignored unless matched', () => {
    // A 40×40 box whose annotated area says "small" (its mask covers 500 px²).
    const gt = groundTruth(1, [[1, 1, [0, 0, 40, 40]]]);
    (gt.annotations[0] as { area: number }).area = 500;
    const result = cocoEvaluate([det(1, 1, [0, 0, 40, 40], 0.9), det(1, 1, [200, 200, 100, 100], 0.95)], gt);
    expect(result.APsmall).toBeCloseTo(1, 12); // the large unmatched detection is outside "small": ignored there
    expect(result.APmedium).toBe(-1);
    expect(result.AP).toBeCloseTo(0.5, 12);
  });

  it('refuses detections on images the ground truth does not have, and malformed input, in one line', () => {
    const gt = groundTruth(1, [[1, 1, [0, 0, 10, 10]]]);
    expect(() => cocoEvaluate([det(9, 1, [0, 0, 1, 1], 0.5)], gt)).toThrow(PerturbError);
    expect(() => cocoEvaluate([det(9, 1, [0, 0, 1, 1], 0.5)], gt)).toThrow(/image_id 9/);
    expect(() => cocoEvaluate([{ image_id: 1, category_id: 1, bbox: [0, 0, 1], score: 1 }], gt)).toThrow(
      /bbox \[0,0,1\]/,
    );
    expect(() => cocoEvaluate([], { images: [] } as unknown as CocoGroundTruth)).toThrow(
      /lacks its images, annotations or categories/,
    );
  });
});

/** A seeded random case and pycocotools' numbers for it (scripts/eval-reference-fixtures.py). */
interface CocoReferenceCase {
  groundTruth: CocoGroundTruth;
  detections: CocoDetection[];
  stats: number[];
  perCategory: { categoryId: number; AP: number }[];
}

describe('cocoEvaluate against pycocotools on random cases', () => {
  const { cases } = fixture<{ cases: CocoReferenceCase[] }>('coco-eval.json');

  it.each(cases.map((c, i) => [i, c] as const))(
    'case %i: the twelve stats and each category’s AP equal COCOeval’s',
    (_, c) => {
      const result = cocoEvaluate(c.detections, c.groundTruth);
      // Only the order of the final means' sums differs (numpy sums pairwise).
      expect(maxAbsDiff(result.stats, c.stats)).toBeLessThanOrEqual(1e-12);
      expect(result.perCategory.map((p) => p.categoryId)).toEqual(c.perCategory.map((p) => p.categoryId));
      expect(
        maxAbsDiff(
          result.perCategory.map((p) => p.AP),
          c.perCategory.map((p) => p.AP),
        ),
      ).toBeLessThanOrEqual(1e-12);
    },
  );
});
