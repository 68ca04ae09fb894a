// The main entry runs anywhere: metrics, statistics, aggregation and SVG charts. Files, the
// report writer and its PNG rasterizer (resvg, a native addon) are `./node` (node.ts).
export { MetricTally, accuracy, topKAccuracy, confusionMatrix, expectedCalibrationError } from './metrics';
export type {
  Labels,
  ScoreKind,
  MetricTallyOptions,
  ClassificationMetrics,
  CalibrationOptions,
} from './metrics';
export { imageDistances } from './distances';
export type { ImageDistances } from './distances';
export { evaluateClassifier } from './evaluate-classifier';
export { batchAttacker } from './batch-attacker';
export type { BatchAttacker, DistanceSummary } from './batch-attacker';
export type {
  EvaluateClassifierOptions,
  ClassifierEvaluation,
  AttackEvaluation,
} from './evaluate-classifier';
export { logGamma, regularizedIncompleteBeta, studentTCdf, studentTTail, studentTQuantile } from './special';
export { mean, sampleStd, summarize, relativeImprovement, pairedTTest, holmAdjust } from './statistics';
export type { SampleSummary, PairedTTest } from './statistics';
export { aggregateRuns, RESULT_SCORE_FIELDS } from './aggregate';
export type { RunRecord, AggregateOptions, AggregateRow } from './aggregate';
export { PRIMARY_METRICS, primaryMetricOf, comparedByPrimaryMetric } from './primary-metric';
export type { PrimaryMetric } from './primary-metric';
export type { ReportProvenance } from './provenance';
export { lineChartSvg, barChartSvg, niceTicks, paletteColor, methodColors } from './svg-chart';
export type { ChartPoint, ChartSeries, ChartBar, ChartOptions, LineChartOptions } from './svg-chart';
