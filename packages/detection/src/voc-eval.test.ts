import { PerturbError } from '@perturb/core';
import { describe, expect, it } from 'vitest';
import { fixture } from './test-support';
import { type VocGroundTruthImage, vocEvaluate } from './voc-eval';

const image = (
  id: string,
  boxes: number[][],
  labels: number[],
  difficult?: boolean[],
): VocGroundTruthImage => ({
  id,
  boxes: boxes.flat(),
  labels,
  difficult,
});

describe('vocEvaluate (VOC07 11-point AP)', () => {
  const gt = [
    image(
      'a',
      [
        [0, 0, 10, 10],
        [20, 0, 30, 10],
      ],
      [1, 1],
    ),
    image('b', [[0, 0, 10, 10]], [2]),
  ];

  it('perfect detections give AP 1 per class and mAP 1', () => {
    const result = vocEvaluate(
      [
        { imageId: 'a', label: 1, box: [0, 0, 10, 10], score: 0.9 },
        { imageId: 'a', label: 1, box: [20, 0, 30, 10], score: 0.8 },
        { imageId: 'b', label: 2, box: [0, 0, 10, 10], score: 0.7 },
      ],
      gt,
    );
    expect(result.mAP).toBeCloseTo(1, 12);
    expect(result.perClass.map((c) => [c.label, c.numGroundTruth])).toEqual([
      [1, 2],
      [2, 1],
    ]);
    for (const c of result.perClass) expect(c.AP).toBeCloseTo(1, 12);
  });

  it('hit, false positive, hit: 11-point AP (6 + 5·⅔)/11, VOC2010 area ½ + ½·⅔', () => {
    const detections = [
      { imageId: 'a', label: 1, box: [0, 0, 10, 10], score: 0.9 },
      { imageId: 'a', label: 1, box: [0, 0, 10, 10], score: 0.8 }, // a duplicate: false positive
      { imageId: 'a', label: 1, box: [20, 0, 30, 10], score: 0.7 },
    ];
    const ap = (options = {}) => vocEvaluate(detections, [gt[0]], options).perClass[0].AP;
    expect(ap()).toBeCloseTo((6 + (5 * 2) / 3) / 11, 12);
    expect(ap({ use07Metric: false })).toBeCloseTo(0.5 + 0.5 * (2 / 3), 12);
  });

  it('needs IoU strictly above the threshold', () => {
    // IoU 0.5 exactly: 10×5 inside 10×10.
    const result = vocEvaluate([{ imageId: 'b', label: 2, box: [0, 0, 10, 5], score: 1 }], [gt[1]]);
    expect(result.mAP).toBe(0);
    expect(
      vocEvaluate([{ imageId: 'b', label: 2, box: [0, 0, 10, 5], score: 1 }], [gt[1]], { iouThreshold: 0.49 })
        .mAP,
    ).toBeCloseTo(1, 12);
  });

  it('difficult boxes are neither hits nor misses', () => {
    const hard = [
      image(
        'c',
        [
          [0, 0, 10, 10],
          [50, 50, 60, 60],
        ],
        [1, 1],
        [false, true],
      ),
    ];
    const onEasy = { imageId: 'c', label: 1, box: [0, 0, 10, 10], score: 0.5 };
    const onHard = { imageId: 'c', label: 1, box: [50, 50, 60, 60], score: 0.9 };
    const easy = vocEvaluate([onEasy], hard).perClass[0];
    expect(easy.numGroundTruth).toBe(1);
    expect(easy.AP).toBeCloseTo(1, 12);
    expect(vocEvaluate([onHard, onHard, onEasy], hard).mAP).toBeCloseTo(1, 12);
  });

  it('no detections give 0; a class with no boxes is NaN and left out of the mean', () => {
    expect(vocEvaluate([], gt).mAP).toBe(0);
    const result = vocEvaluate(
      [
        { imageId: 'b', label: 3, box: [0, 0, 1, 1], score: 1 },
        { imageId: 'b', label: 2, box: [0, 0, 10, 10], score: 1 },
      ],
      [gt[1]],
    );
    expect(result.perClass.find((c) => c.label === 3)?.AP).toBeNaN();
    expect(result.mAP).toBeCloseTo(1, 12);
  });

  it('refuses detections on unknown images', () => {
    expect(() => vocEvaluate([{ imageId: 'zzz', label: 1, box: [0, 0, 1, 1], score: 1 }], gt)).toThrow(
      PerturbError,
    );
  });
});

/** A seeded random case and the devkit's numbers for it (scripts/eval-reference-fixtures.py); boxes as the devkit reads them. */
interface VocReferenceCase {
  iouThreshold: number;
  groundTruth: { id: string; objects: { label: number; box: number[]; difficult: boolean }[] }[];
  detections: { imageId: string; label: number; box: number[]; score: number }[];
  /** AP null where the class has no non-difficult box. */
  perClass: { label: number; numGroundTruth: number; AP07: number | null; APArea: number | null }[];
}

describe('vocEvaluate against the Faster R-CNN voc_eval (tf-faster-rcnn’s Python 3 port) on random cases', () => {
  const { cases } = fixture<{ cases: VocReferenceCase[] }>('voc-eval.json');
  // The devkit's boxes are 1-based inclusive pixels: [x1, y1, x2, y2] covers [x1 − 1, x2] continuously.
  const continuous = ([x1, y1, x2, y2]: number[]) => [x1 - 1, y1 - 1, x2, y2];

  it.each(cases.map((c, i) => [i, c] as const))(
    'case %i: each class’s 11-point and area AP equal voc_eval’s',
    (_, c) => {
      const groundTruth = c.groundTruth.map((image): VocGroundTruthImage => ({
        id: image.id,
        boxes: image.objects.flatMap((o) => continuous(o.box)),
        labels: image.objects.map((o) => o.label),
        difficult: image.objects.map((o) => o.difficult),
      }));
      const detections = c.detections.map((d) => ({ ...d, box: continuous(d.box) }));
      for (const [use07Metric, key] of [
        [true, 'AP07'],
        [false, 'APArea'],
      ] as const) {
        const result = vocEvaluate(detections, groundTruth, { iouThreshold: c.iouThreshold, use07Metric });
        expect(result.perClass.map((p) => [p.label, p.numGroundTruth])).toEqual(
          c.perClass.map((p) => [p.label, p.numGroundTruth]),
        );
        const expected = c.perClass.map((p) => p[key] ?? NaN);
        result.perClass.forEach((p, i) => {
          if (Number.isNaN(expected[i])) expect(p.AP).toBeNaN();
          else expect(Math.abs(p.AP - expected[i])).toBeLessThanOrEqual(1e-12);
        });
      }
    },
  );
});
