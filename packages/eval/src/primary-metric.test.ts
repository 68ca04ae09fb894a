import { describe, expect, it } from 'vitest';
import type { RunRecord } from './aggregate';
import { comparedByPrimaryMetric, primaryMetricOf } from './primary-metric';

const run = (method: string, accuracy: number, scores?: Record<string, number>): RunRecord => ({
  method,
  trainSize: 500,
  seed: 0,
  accuracy,
  seconds: 1,
  ...(scores ? { scores } : {}),
});

describe('primaryMetricOf', () => {
  it('compares classifiers by accuracy and an empty grid by nothing', () => {
    expect(primaryMetricOf([run('a', 0.8), run('b', 0.7)])).toBeUndefined();
    expect(primaryMetricOf([])).toBeUndefined();
  });

  it('compares segmentation runs by mean IoU with pixel accuracy beside it', () => {
    const metric = primaryMetricOf([run('a', 0.9, { meanIoU: 0.4 }), run('b', 0.8, { meanIoU: 0.3 })]);
    expect(metric?.score).toBe('meanIoU');
    expect(metric?.secondary.value(run('a', 0.9, { meanIoU: 0.4 }))).toBe(0.9);
  });

  it('compares detection runs by mAP with AP50 beside it', () => {
    const metric = primaryMetricOf([run('a', 0, { mAP: 0.2, AP50: 0.5 })]);
    expect(metric?.name).toBe('mAP');
    expect(metric?.secondary.value(run('a', 0, { mAP: 0.2, AP50: 0.5 }))).toBe(0.5);
  });

  it('falls back to accuracy when one run lacks the score', () => {
    expect(primaryMetricOf([run('a', 0.9, { meanIoU: 0.4 }), run('b', 0.8)])).toBeUndefined();
  });
});

describe('comparedByPrimaryMetric', () => {
  it("puts the primary score in each record's accuracy and leaves the inputs alone", () => {
    const runs = [run('a', 0.9, { meanIoU: 0.4 }), run('b', 0.8, { meanIoU: 0.3 })];
    const { metric, records } = comparedByPrimaryMetric(runs);
    expect(metric?.score).toBe('meanIoU');
    expect(records.map((r) => r.accuracy)).toEqual([0.4, 0.3]);
    expect(runs.map((r) => r.accuracy)).toEqual([0.9, 0.8]);
  });

  it('keeps accuracy for classifiers', () => {
    const { metric, records } = comparedByPrimaryMetric([run('a', 0.9)]);
    expect(metric).toBeUndefined();
    expect(records[0].accuracy).toBe(0.9);
  });
});
