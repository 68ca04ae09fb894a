/**
 * @perturb/segmentation: DeepLabV3+, the Fashion-MNIST scenes task, Pascal VOC and Cityscapes
 * readers, mIoU. Importing it registers the `deeplabv3plus` model and the `fashion-mnist-scenes`,
 * `voc2012` and `cityscapes` datasets in core's registries.
 */
export { deeplabModelOptions, scenesDatasetOptions } from './definitions';
export { SegmentationMetrics, confusionMatrix, meanIoU, segmentationScores } from './metrics';
export type { LabelMap, SegmentationMetricsOptions, SegmentationScores } from './metrics';
export { generateScenes, testScenes, embeddedScenes, sceneTensors, TEST_SCENES } from './scenes';
export type { GarmentSource, SceneOptions, SceneBox, SceneSet, EmbeddedSceneOptions } from './scenes';
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
  openVoc,
  openCityscapes,
  readAll,
  cityscapesTrainIds,
  cityscapesTrainIdTable,
  CITYSCAPES_TRAIN_IDS,
  CITYSCAPES_CLASSES,
  VOC_CLASSES,
  IGNORE_INDEX,
} from './layouts';
export type { SegmentationSample, SegmentationSource, VocOptions, CityscapesOptions } from './layouts';
export { DeepLabV3Plus, DEEPLAB_SITES, resizeBilinear } from './deeplab';
export type { DeepLabV3PlusOptions, DeepLabSite } from './deeplab';
export { segmentationTask, segmentationCrossEntropy } from './task';
export type { SegmentationLossOptions } from './task';
export { colorizeLabels, errorMap, segmentationGrid } from './grids';
export type { GridOptions, GridRow } from './grids';
