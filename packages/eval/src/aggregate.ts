/** Groups run records by method and training-set size and compares every method with a baseline. */
import { PerturbError } from '@perturb/core';
import {
  type PairedTTest,
  type SampleSummary,
  holmAdjust,
  mean,
  pairedTTest,
  relativeImprovement,
  summarize,
} from './statistics';

/**
 * The task scores a `perturb train` `result.json` holds as fields of their own (what reports
 * compare runs by), by the name `RunRecord.scores` and `EvalResult.scores` give them.
 */
export const RESULT_SCORE_FIELDS = {
  meanIoU: 'testMeanIoU',
  mAP: 'testMAP',
  AP50: 'testAP50',
  AP75: 'testAP75',
} as const;

/** One finished training run. */
export interface RunRecord {
  /** Method name, e.g. `'baseline'`, `'pixel-pgd'`, `'la-glow'`. */
  method: string;
  /** Training images used. */
  trainSize: number;
  seed: number;
  /** Final test accuracy in [0, 1] (the score the report compares; see `ReportOptions.metric`). */
  accuracy: number;
  /**
   * The run's task scores besides accuracy, in [0, 1], by name: `meanIoU` (segmentation), `mAP`,
   * `AP50`, `AP75` (detection). A report may compare runs by one of them instead of accuracy.
   */
  scores?: Record<string, number>;
  /** Wall time of the run in seconds. */
  seconds: number;
  /** CPU seconds of the run (all threads), where known: its cost regardless of other load. */
  cpuSeconds?: number;
  /** Where the record came from (e.g. its `result.json`), for error messages. Optional. */
  source?: string;
}

/** Options of `aggregateRuns`. */
export interface AggregateOptions {
  /** Method the others are compared with; rows of other methods get `improvement` and `pairedTest`. Default none. */
  baseline?: string;
  /** Level of the confidence interval. Default 0.95. */
  confidence?: number;
  /**
   * Row order of the methods, e.g. the order of a config's `methods`; methods it does not list
   * follow in order of first appearance. The baseline comes first either way. Default none.
   */
  methodOrder?: readonly string[];
}

/** All seeds of one method at one training-set size. */
export interface AggregateRow {
  method: string;
  trainSize: number;
  /** Seeds, ascending. */
  seeds: number[];
  /** Test accuracy over seeds, in [0, 1]. */
  accuracy: SampleSummary;
  meanSeconds: number;
  /** Mean CPU seconds per run; absent unless every run has `cpuSeconds`. */
  meanCpuSeconds?: number;
  /**
   * Relative improvement (%) of the mean accuracy over the baseline's at this size, both over the
   * seeds they share (over all of each when they share none); absent for the baseline itself or
   * without one.
   */
  improvement?: number;
  /** Paired t-test against the baseline over the seeds both have (a − baseline); absent with fewer than 2 shared seeds. */
  pairedTest?: PairedTTest;
  /**
   * The paired test's p-value after Holm's correction over its family: every method's paired
   * test against the baseline at this training-set size. Present with `pairedTest`.
   */
  holmP?: number;
}

/**
 * One row per (method, training-set size): methods in `methodOrder`, then in order of first
 * appearance (the baseline first), sizes ascending. Throws if a (method, size, seed) appears twice.
 */
export function aggregateRuns(records: readonly RunRecord[], options: AggregateOptions = {}): AggregateRow[] {
  const { baseline, confidence = 0.95, methodOrder = [] } = options;
  const groups = groupRecords(records);
  if (baseline !== undefined && ![...groups.values()].some((g) => g[0].method === baseline)) {
    throw new PerturbError(
      `baseline method "${baseline}" has no runs`,
      `pick one of ${[...new Set(records.map((r) => r.method))].join(', ')}`,
    );
  }
  const rank = (method: string) => {
    const index = methodOrder.indexOf(method);
    return index < 0 ? methodOrder.length : index;
  };
  const methods = [...new Set(records.map((r) => r.method))].sort(
    (a, b) => Number(b === baseline) - Number(a === baseline) || rank(a) - rank(b),
  );
  const sizes = [...new Set(records.map((r) => r.trainSize))].sort((a, b) => a - b);
  const rows: AggregateRow[] = [];
  for (const method of methods) {
    for (const trainSize of sizes) {
      const runs = groups.get(groupKey(method, trainSize));
      if (!runs) continue;
      const row: AggregateRow = {
        method,
        trainSize,
        seeds: runs.map((r) => r.seed),
        accuracy: summarize(
          runs.map((r) => r.accuracy),
          confidence,
        ),
        meanSeconds: mean(runs.map((r) => r.seconds)),
        ...(runs.every((r) => r.cpuSeconds !== undefined)
          ? { meanCpuSeconds: mean(runs.map((r) => r.cpuSeconds as number)) }
          : {}),
      };
      const reference =
        baseline !== undefined && method !== baseline ? groups.get(groupKey(baseline, trainSize)) : undefined;
      if (reference) compareWithBaseline(row, runs, reference);
      rows.push(row);
    }
  }
  for (const trainSize of sizes) correctFamily(rows.filter((r) => r.trainSize === trainSize && r.pairedTest));
  return rows;
}

/** Sets `holmP` on the rows of one family of comparisons with the baseline. */
function correctFamily(family: AggregateRow[]): void {
  const adjusted = holmAdjust(family.map((row) => (row.pairedTest as PairedTTest).p));
  family.forEach((row, i) => (row.holmP = adjusted[i]));
}

function groupKey(method: string, trainSize: number): string {
  return JSON.stringify([method, trainSize]);
}

/** Records grouped by (method, size), each group sorted by seed; rejects duplicate seeds. */
function groupRecords(records: readonly RunRecord[]): Map<string, RunRecord[]> {
  const groups = new Map<string, RunRecord[]>();
  for (const record of records) {
    const key = groupKey(record.method, record.trainSize);
    const group = groups.get(key) ?? [];
    const twin = group.find((r) => r.seed === record.seed);
    if (twin) {
      const where = [twin.source, record.source].filter(Boolean).join(' and ');
      throw new PerturbError(
        `method "${record.method}" has two runs with train size ${record.trainSize} and seed ${record.seed}${where ? ` (${where})` : ''}`,
        'remove one of them so every seed counts once',
      );
    }
    group.push(record);
    groups.set(key, group);
  }
  for (const group of groups.values()) group.sort((a, b) => a.seed - b.seed);
  return groups;
}

function compareWithBaseline(
  row: AggregateRow,
  runs: readonly RunRecord[],
  reference: readonly RunRecord[],
): void {
  const pairs = runs.flatMap((run) => {
    const partner = reference.find((r) => r.seed === run.seed);
    return partner ? [[run.accuracy, partner.accuracy]] : [];
  });
  const mine = pairs.map((p) => p[0]);
  const theirs = pairs.map((p) => p[1]);
  // Over the shared seeds, so that a grid still in progress compares like with like.
  row.improvement =
    pairs.length > 0
      ? relativeImprovement(mean(mine), mean(theirs))
      : relativeImprovement(row.accuracy.mean, mean(reference.map((r) => r.accuracy)));
  if (pairs.length >= 2) row.pairedTest = pairedTTest(mine, theirs);
}
