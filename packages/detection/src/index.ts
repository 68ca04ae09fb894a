/**
 * @perturb/detection: object-detection building blocks for perturb on TensorFlow.js — boxes and
 * box losses, anchors with IoU matching and balanced sampling, (batched) NMS, RoIAlign with an
 * exact feature gradient, COCO-style and Pascal VOC evaluation, COCO JSON / Pascal VOC XML
 * loaders into one in-memory form, Faster R-CNN with an FPN (the `fasterrcnn` model, with
 * A-FAN feature sites) and its task: losses, inference post-processing and COCO scores.
 */
export {
  BBOX_XFORM_CLIP,
  boxArea,
  boxIou,
  boxIouArray,
  clipBoxes,
  removeSmallBoxes,
  BoxCoder,
  giouLoss,
  smoothL1Loss,
} from './boxes';
export type { BoxCoderOptions, Reduction } from './boxes';
export {
  AnchorGenerator,
  Matcher,
  BELOW_LOW_THRESHOLD,
  BETWEEN_THRESHOLDS,
  sampleBalanced,
  matchLabels,
} from './anchors';
export type { AnchorGeneratorOptions, MatcherOptions, BalancedSamplerOptions } from './anchors';
export { nms, batchedNms, selectDetections, filterProposals } from './nms';
export type { SelectDetectionsOptions, FilterProposalsOptions } from './nms';
export { roiAlign, roiAlignWeights, multiScaleRoiAlign, fpnLevels } from './roi-align';
export type {
  RoiAlignOptions,
  RoiAlignWeights,
  MultiScaleRoiAlignOptions,
  FpnLevelOptions,
} from './roi-align';
export { cocoEvaluate, COCO_IOU_THRESHOLDS } from './coco-eval';
export type {
  CocoEvaluation,
  CocoGroundTruth,
  CocoImage,
  CocoAnnotation,
  CocoCategory,
  CocoDetection,
} from './coco-eval';
export { vocEvaluate } from './voc-eval';
export type { VocDetection, VocGroundTruthImage, VocEvaluateOptions, VocEvaluation } from './voc-eval';
export { VOC_CLASSES, cocoDetectionFromJson, vocRecordFromXml, toCocoGroundTruth } from './dataset';
export type { DetectionRecord, DetectionDataset } from './dataset';
export { detectionGrid, imageWithBoxes, drawBox, classColor } from './grid';
export type { DetectionGridRow, DetectionGridOptions, GridBoxes } from './grid';
export { datasetGroundTruth } from './dataset-ground-truth';
export type { DetectorOutput } from './detector-output';
export { FasterRcnn, FASTER_RCNN_SITES, DEFAULT_SAMPLING_SEED } from './faster-rcnn';
export type { FasterRcnnOptions, FasterRcnnSite } from './faster-rcnn';
export { fasterRcnnOptionsSchema } from './definitions';
export { FASTER_RCNN_PRESETS } from './faster-rcnn-options';
export type { FasterRcnnConfig, FasterRcnnSettings } from './faster-rcnn-options';
export { FeaturePyramid, upsampleNearest2x } from './fpn';
export { RpnHead, labelAnchors } from './rpn';
export type { AnchorLabelling } from './rpn';
export { BoxHead, sampleRois, ROI_MATCHER } from './roi-heads';
export type { ImageRois } from './roi-heads';
export { detectionTask, detectionTaskSchema } from './task';
export type { DetectionTaskOptions } from './task';
export { detectionLosses, rpnLosses, roiLosses } from './detection-loss';
export type { DetectionLosses } from './detection-loss';
export { postprocessDetections, postprocessSchema, detect } from './postprocess';
export type { PostprocessOptions, Detections } from './postprocess';
export { CocoAccumulator, countHits, HIT_IOU } from './detection-metrics';
export type { DetectionScores } from './detection-metrics';
