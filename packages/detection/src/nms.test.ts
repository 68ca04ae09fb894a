import { describe, expect, it } from 'vitest';
import { batchedNms, filterProposals, nms, selectDetections } from './nms';
import { fixture, maxAbsDiff } from './test-support';

interface NmsCase {
  boxes: number[];
  scores: number[];
  classes: number[];
  iouThreshold: number;
  keep: number[];
}
const { cases } = fixture<{ cases: NmsCase[] }>('nms.json');

describe('batchedNms against torchvision.ops.batched_nms', () => {
  it.each(cases.map((c, i) => [i, c] as const))('case %i keeps the same boxes in the same order', (_, c) => {
    expect(Array.from(batchedNms(c.boxes, c.scores, c.classes, c.iouThreshold))).toEqual(c.keep);
  });
});

describe('nms', () => {
  it('drops boxes overlapping a better one by more than the threshold, keeps equal-to-threshold ones', () => {
    // IoU(0, 1) = 1/3 exactly in float32 terms; IoU(0, 2) = 0.
    const boxes = [0, 0, 2, 2, 1, 0, 3, 2, 5, 5, 6, 6];
    expect(Array.from(nms(boxes, [0.9, 0.8, 0.7], 0.3))).toEqual([0, 2]);
    expect(Array.from(nms(boxes, [0.9, 0.8, 0.7], 0.34))).toEqual([0, 1, 2]);
    expect(Array.from(nms(boxes, [0.1, 0.8, 0.7], 0.3))).toEqual([1, 2]);
    expect(Array.from(batchedNms(boxes, [0.9, 0.8, 0.7], [0, 1, 0], 0.3))).toEqual([0, 1, 2]);
  });

  it('refuses mismatched inputs', () => {
    expect(() => nms([0, 0, 1, 1], [0.5, 0.4], 0.5)).toThrow(/1 boxes but 2 scores/);
    expect(() => batchedNms([0, 0, 1, 1], [0.5], [0, 1], 0.5)).toThrow(/1 scores but 2 class ids/);
  });
});

describe('selectDetections', () => {
  it('applies the score threshold, per-class NMS and the top-k, best first', () => {
    const boxes = [0, 0, 10, 10, 1, 1, 10, 10, 0, 0, 10, 10, 20, 20, 30, 30, 40, 40, 40.001, 50];
    const scores = [0.9, 0.8, 0.7, 0.04, 0.95];
    const classes = [1, 1, 2, 1, 1];
    expect(Array.from(selectDetections(boxes, scores, classes))).toEqual([0, 2]);
    expect(Array.from(selectDetections(boxes, scores, classes, { maxDetections: 1 }))).toEqual([0]);
    expect(
      Array.from(selectDetections(boxes, scores, classes, { scoreThreshold: 0, iouThreshold: 0.9 })),
    ).toEqual([0, 1, 2, 3]);
  });
});

interface ProposalCase {
  proposals: number[];
  objectness: number[];
  anchorsPerLevel: number[];
  imageSize: [number, number];
  preNmsTopN: number;
  postNmsTopN: number;
  nmsThreshold: number;
  scoreThreshold: number;
  boxes: number[];
  scores: number[];
}

describe('filterProposals against torchvision RegionProposalNetwork.filter_proposals', () => {
  const proposals = fixture<{ cases: ProposalCase[] }>('proposals.json').cases;

  it.each(proposals.map((c, i) => [i, c] as const))('case %i keeps the same boxes and scores', (_, c) => {
    const out = filterProposals(c.proposals, c.objectness, c.anchorsPerLevel, c.imageSize, c);
    expect(out.scores.length).toBe(c.scores.length);
    expect(maxAbsDiff(out.boxes, c.boxes)).toBe(0);
    expect(maxAbsDiff(out.scores, c.scores)).toBeLessThan(1e-6);
  });

  it('refuses level counts that do not add up', () => {
    expect(() => filterProposals([0, 0, 1, 1], [0], [2], [4, 4], { preNmsTopN: 1, postNmsTopN: 1 })).toThrow(
      /sums to 2 but there are 1/,
    );
  });
});
