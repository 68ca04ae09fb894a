import { describe, expect, it } from 'vitest';
import { aggregateRuns } from './aggregate';
import { mean } from './statistics';
import { RECORDS } from './test-records';

describe('aggregateRuns', () => {
  it('summarizes every method and size, baseline first, sizes ascending', () => {
    const rows = aggregateRuns([...RECORDS].reverse(), { baseline: 'baseline' });
    expect(rows.map((r) => [r.method, r.trainSize])).toEqual([
      ['baseline', 100],
      ['baseline', 1000],
      ['pixel-pgd', 100],
      ['pixel-pgd', 1000],
    ]);
    const [base100, , pgd100, pgd1000] = rows;
    expect(base100.seeds).toEqual([0, 1, 2]);
    expect(base100.accuracy.mean).toBeCloseTo(0.5723333333, 9);
    expect(base100.improvement).toBeUndefined();
    expect(base100.pairedTest).toBeUndefined();
    expect(pgd100.accuracy.std).toBeCloseTo(0.0160416125540213, 12);
    expect(pgd100.improvement).toBeCloseTo(7.163657542224818, 9);
    expect(pgd100.pairedTest?.p).toBeCloseTo(0.09083235561001268, 10);
    expect(pgd100.meanSeconds).toBe(30);
    // Differences are a constant +0.02: certain improvement.
    expect(pgd1000.pairedTest?.p).toBeCloseTo(0, 10);
    expect(pgd1000.improvement).toBeCloseTo(2.5, 9);
  });

  it('averages CPU time only over groups whose every run recorded it', () => {
    const withCpu = RECORDS.map((r) =>
      r.method === 'pixel-pgd' ? { ...r, cpuSeconds: 10 * (r.seed + 1) } : r,
    );
    const rows = aggregateRuns(withCpu, { baseline: 'baseline' });
    expect(rows.find((r) => r.method === 'pixel-pgd' && r.trainSize === 100)?.meanCpuSeconds).toBe(20);
    expect(rows.find((r) => r.method === 'baseline' && r.trainSize === 100)?.meanCpuSeconds).toBeUndefined();
    const partly = withCpu.map(({ cpuSeconds, ...r }) =>
      r.method === 'pixel-pgd' && r.seed === 0
        ? r
        : { ...r, ...(cpuSeconds === undefined ? {} : { cpuSeconds }) },
    );
    expect(aggregateRuns(partly).find((r) => r.method === 'pixel-pgd')?.meanCpuSeconds).toBeUndefined();
  });

  it('pairs only the seeds both methods have', () => {
    const rows = aggregateRuns(
      RECORDS.filter((r) => !(r.method === 'baseline' && r.seed === 2)),
      { baseline: 'baseline' },
    );
    const pgd100 = rows.find((r) => r.method === 'pixel-pgd' && r.trainSize === 100)!;
    expect(pgd100.accuracy.n).toBe(3);
    expect(pgd100.pairedTest?.n).toBe(2);
    // The improvement compares the same two seeds on both sides, not pixel-pgd's three with the baseline's two.
    const shared = (method: string) =>
      RECORDS.filter((r) => r.method === method && r.trainSize === 100 && r.seed < 2).map((r) => r.accuracy);
    expect(pgd100.improvement).toBeCloseTo(
      100 * (mean(shared('pixel-pgd')) / mean(shared('baseline')) - 1),
      10,
    );
    const onePair = aggregateRuns(
      RECORDS.filter((r) => !(r.method === 'baseline' && r.seed > 0)),
      { baseline: 'baseline' },
    );
    expect(onePair.find((r) => r.method === 'pixel-pgd')?.pairedTest).toBeUndefined();
  });

  it("corrects each size's comparisons with the baseline as one Holm family, rows in the given method order", () => {
    // Two more methods at 100 images, so that size's family holds three paired tests.
    const extra = (method: string, shift: number[]) =>
      RECORDS.filter((r) => r.method === 'baseline' && r.trainSize === 100).map((r, i) => ({
        ...r,
        method,
        accuracy: r.accuracy + shift[i],
      }));
    const records = [...RECORDS, ...extra('crop', [0.01, 0.03, 0.02]), ...extra('noise', [-0.01, 0.02, 0])];
    const rows = aggregateRuns(records, {
      baseline: 'baseline',
      methodOrder: ['noise', 'pixel-pgd', 'crop'],
    });
    expect([...new Set(rows.map((r) => r.method))]).toEqual(['baseline', 'noise', 'pixel-pgd', 'crop']);
    const at100 = (method: string) => rows.find((r) => r.method === method && r.trainSize === 100)!;
    const p = ['pixel-pgd', 'crop', 'noise'].map((m) => at100(m).pairedTest!.p);
    // By hand: crop's differences 0.01, 0.03, 0.02 give t = 3.4641 with 2 df, p = 0.07418; noise's
    // −0.01, 0.02, 0 give t = 0.3780, p = 0.74180; pixel-pgd's p = 0.09083. Sorted 0.0742·3,
    // max(that, 0.0908·2), max(that, 0.7418·1).
    expect(p[1]).toBeCloseTo(0.0741799, 6);
    expect(p[2]).toBeCloseTo(0.7418011, 6);
    expect(at100('crop').holmP).toBeCloseTo(3 * p[1], 12);
    expect(at100('pixel-pgd').holmP).toBeCloseTo(Math.max(3 * p[1], 2 * p[0]), 12);
    expect(at100('noise').holmP).toBeCloseTo(p[2], 12);
    // At 1000 images pixel-pgd is alone in its family: its p stands.
    const pgd1000 = rows.find((r) => r.method === 'pixel-pgd' && r.trainSize === 1000)!;
    expect(pgd1000.holmP).toBe(pgd1000.pairedTest!.p);
    expect(at100('baseline').holmP).toBeUndefined();
  });

  it('rejects duplicate seeds and an unknown baseline', () => {
    expect(() => aggregateRuns([...RECORDS, { ...RECORDS[0], source: 'b/result.json' }])).toThrow(
      /two runs .*seed 0 \(b\/result.json\)/,
    );
    expect(() => aggregateRuns(RECORDS, { baseline: 'none' })).toThrow(/baseline method "none" has no runs/);
  });
});
