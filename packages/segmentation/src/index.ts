export { SegmentationMetrics, confusionMatrix, meanIoU, segmentationScores } from './metrics';
export type { LabelMap, SegmentationMetricsOptions, SegmentationScores } from './metrics';
export { generateScenes, testScenes, sceneTensors, TEST_SCENES } from './scenes';
export type { GarmentSource, SceneOptions, SceneBox, SceneSet } from './scenes';
export {
  decodeJpeg,
  encodeJpeg,
  decodePngImage,
  decodeLabelPng,
  encodeLabelPng,
  encodeGrayPng,
  encodeRgbPng,
  vocPalette,
} from './codecs';
export type { RgbImage, LabelImage } from './codecs';
export {
  readAll,
  cityscapesTrainIds,
  cityscapesTrainIdTable,
  CITYSCAPES_TRAIN_IDS,
  CITYSCAPES_CLASSES,
  VOC_CLASSES,
  IGNORE_INDEX,
} from './layouts';
export type { SegmentationSample, SegmentationSource } from './layouts';
export { DeepLabV3Plus, DEEPLAB_SITES, segmentationCrossEntropy, resizeBilinear } from './deeplab';
export type { DeepLabV3PlusOptions, DeepLabSite, SegmentationLossOptions } from './deeplab';
export { colorizeLabels, errorMap, segmentationGrid } from './grids';
export type { GridOptions, GridRow } from './grids';
