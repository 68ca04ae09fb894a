// `@perturb/datasets/node`: datasets from files (Node): the catalog's datasets found, downloaded
// and read (`loadDataset`, `openDataset`), and the `datasets` registry's definitions, which
// importing this entry registers.
export { loadDataset } from './load';
export { openDataset, DATASET_DEFINITIONS, imageDatasetOptions, cifar100Options } from './definitions';
export type { DatasetSplits, ImageDatasetOptions } from './definitions';
export type { LoadOptions } from './load';
export { resolveDataset, defaultCacheDir, datasetSpec } from './resolve';
export type { ResolveOptions, ResolvedDataset, DatasetSource } from './resolve';
export type { LocatedFiles, ReadLocatedOptions } from './locate';
export { readIdxFile, loadIdxDataset } from './idx-files';
export { downloadFile, DOWNLOAD_DEFAULTS } from './download';
export type { DownloadOptions, DownloadRequest } from './download';
