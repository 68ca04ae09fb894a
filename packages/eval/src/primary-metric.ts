/**
 * Which score a grid of runs is compared by. Classifier runs are compared by test accuracy;
 * segmentation and detection runs by their task's headline score, which their `result.json`
 * holds beside a pixel accuracy (segmentation) or none at all (detection). Reports, tables and
 * experiment scripts all ask this one table, so a grid is never ranked by one score in its
 * report and another in its summary.
 */
import type { RunRecord } from './aggregate';

/** A score runs can be compared by instead of accuracy, and the second score reported beside it. */
export interface PrimaryMetric {
  /** Its name in `RunRecord.scores`. */
  score: string;
  /** Its name in titles and headers, e.g. `'mean IoU'`. */
  name: string;
  /** What it measures, for a report's notes. */
  description: string;
  /** The score tabulated beside it, e.g. pixel accuracy beside mean IoU. */
  secondary: { title: string; value: (run: RunRecord) => number | undefined };
}

/** The tasks' primary metrics, in the order they are tried: a grid whose runs all have one is compared by it. */
export const PRIMARY_METRICS: readonly PrimaryMetric[] = [
  {
    score: 'meanIoU',
    name: 'mean IoU',
    description: 'mean IoU (over the classes, ignored pixels excluded)',
    secondary: { title: 'pixel accuracy', value: (run) => run.accuracy },
  },
  {
    score: 'mAP',
    name: 'mAP',
    description: 'mAP (COCO AP averaged over IoU 0.50:0.95, up to 100 detections an image)',
    secondary: { title: 'AP50', value: (run) => run.scores?.AP50 },
  },
];

/** The metric every one of `runs` has, if any; undefined (compare by accuracy) for classifiers or a mixed grid. */
export function primaryMetricOf(runs: readonly RunRecord[]): PrimaryMetric | undefined {
  if (runs.length === 0) return undefined;
  return PRIMARY_METRICS.find((metric) => runs.every((r) => r.scores?.[metric.score] !== undefined));
}

/**
 * `runs` ready for {@link aggregateRuns} and the report writer, which compare `accuracy`: each
 * record's `accuracy` replaced by its primary metric's score when the grid has one (the records'
 * `scores` keep the original accuracy's companions). Returns the metric used, undefined for accuracy.
 */
export function comparedByPrimaryMetric(runs: readonly RunRecord[]): {
  metric: PrimaryMetric | undefined;
  records: RunRecord[];
} {
  const metric = primaryMetricOf(runs);
  const records = metric
    ? runs.map((r) => ({ ...r, accuracy: (r.scores as Record<string, number>)[metric.score] }))
    : [...runs];
  return { metric, records };
}
