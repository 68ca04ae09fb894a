// The main entry runs anywhere: datasets as arrays, their parsers of bytes (IDX, CIFAR, tar),
// the image codecs (PNG, JPEG) and resampling, subsets, padding and batches. Finding, downloading
// and reading files is `./node` (node.ts).
export type { Dataset, ImageShape, LabelMaps, ObjectBoxes, Split } from './dataset';
export { exampleCount, classCounts, selectExamples } from './dataset';
export { DATASET_NAMES, DATASETS } from './catalog';
export type { DatasetName, DatasetSpec, IdxSpec, CifarSpec, RemoteFile } from './catalog';
export { parseIdx, encodeIdx } from './idx';
export type { IdxArray, IdxDatasetInfo } from './idx';
export { decodeCifar } from './cifar';
export type { CifarChunk, CifarDecodeOptions, CifarLabelMode } from './cifar';
export { readTar } from './tar';
export type { TarEntry } from './tar';
export { formatBytes, stderrProgress } from './progress';
export type { DownloadProgress, ProgressListener } from './progress';
export { stratifiedSubset, stratifiedIndices, validationSplit, shuffleDataset } from './subset';
export type { SubsetSize, StratifiedOptions, TrainValidationSplit } from './subset';
export { padDataset } from './pad';
export { toBatch, batches, batchCount, channelStats } from './batch';
export {
  decodeImage,
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
export { resizeImage, resizeAndCenterCrop, resizeLabels } from './resample';
export { convertChannels } from './channels';
export type { PhotoChannels } from './channels';
export type { BatchTarget, ChannelStats, ToBatchOptions, BatchesOptions } from './batch';
