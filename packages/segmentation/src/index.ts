export { SegmentationMetrics, confusionMatrix, meanIoU, segmentationScores } from './metrics';
export type { LabelMap, SegmentationMetricsOptions, SegmentationScores } from './metrics';
export { generateScenes, testScenes, embeddedScenes, sceneTensors, TEST_SCENES } from './scenes';
export type { GarmentSource, SceneOptions, SceneBox, SceneSet, EmbeddedSceneOptions } from './scenes';
