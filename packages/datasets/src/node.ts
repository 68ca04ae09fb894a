// `@perturb/datasets/node`: datasets from files (Node): the catalog's datasets found, downloaded
// and read (`loadDataset`, `openDataset`), folders of one's own photos (`readImageFolder`), and
// the `datasets` registry's definitions, which importing this entry registers.
export { loadDataset } from './load';
export {
  openDataset,
  DATASET_DEFINITIONS,
  IMAGE_FOLDER_DEFINITION,
  imageDatasetOptions,
  cifar100Options,
  imageFolderOptions,
} from './definitions';
export type { DatasetSplits, ImageDatasetOptions } from './definitions';
export type { LoadOptions } from './load';
export { resolveDataset, defaultCacheDir, datasetSpec } from './resolve';
export type { ResolveOptions, ResolvedDataset, DatasetSource } from './resolve';
export type { LocatedFiles, ReadLocatedOptions } from './locate';
export { readIdxFile, loadIdxDataset } from './idx-files';
export { readImageFolder, imageFolderClasses, imageFiles } from './image-folder';
export type { ImageFolderOptions } from './image-folder';
export { downloadFile, DOWNLOAD_DEFAULTS } from './download';
export type { DownloadOptions, DownloadRequest } from './download';
