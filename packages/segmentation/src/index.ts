/**
 * @perturb/segmentation: DeepLabV3+, the Fashion-MNIST scenes task, Pascal VOC and Cityscapes
 * parsers, mIoU. Importing it registers the `deeplabv3plus` model in core's registries;
 * `@perturb/segmentation/node` registers the datasets (`fashion-mnist-scenes`,
 * `fashion-mnist-scenes-small`, `voc2012`, `cityscapes`), which read files.
 */
// Re-exported through definitions.ts so that importing the package registers `deeplabv3plus`.
export { deeplabModelOptions } from './definitions';
export { DEEPLAB_PRESETS } from './deeplab-options';
export type { DeepLabV3PlusConfig, DeepLabV3PlusSettings } from './deeplab-options';
export { SegmentationMetrics, confusionMatrix, meanIoU, segmentationScores } from './metrics';
export type { LabelMap, SegmentationMetricsOptions, SegmentationScores } from './metrics';
export { generateScenes, testScenes, sceneTensors, sceneObjects, TEST_SCENES } from './scenes';
export type { GarmentSource, SceneOptions, SceneBox, SceneSet } from './scenes';
export { sceneDataset } from './scene-dataset';
// The codecs and the resampler live in @perturb/datasets (its folder readers need them too);
// re-exported so code that imported them from here keeps working.
export {
  decodeJpeg,
  encodeJpeg,
  decodePngImage,
  decodeLabelPng,
  encodeLabelPng,
  encodeGrayPng,
  encodeRgbPng,
  vocPalette,
  resizeImage,
  resizeLabels,
} from '@perturb/datasets';
export type { RgbImage, LabelImage } from '@perturb/datasets';
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
export { DeepLabV3Plus, DEEPLAB_SITES, resizeBilinear } from './deeplab';
export type { DeepLabV3PlusOptions, DeepLabSite } from './deeplab';
export { segmentationTask, segmentationCrossEntropy } from './task';
export type { SegmentationLossOptions } from './task';
export { asRgb, colorizeLabels, errorMap, segmentationGrid, tilePanels } from './grids';
export type { GridOptions, GridRow } from './grids';
