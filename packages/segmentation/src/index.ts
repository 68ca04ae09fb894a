export { SegmentationMetrics, confusionMatrix, meanIoU, segmentationScores } from './metrics';
export type { LabelMap, SegmentationMetricsOptions, SegmentationScores } from './metrics';
