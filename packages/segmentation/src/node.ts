// `@perturb/segmentation/node`: segmentation data from files (Node): VOC 2012 and Cityscapes
// folders, and scenes of the Fashion-MNIST subset embedded in `@perturb/datasets`.
export { openVoc, openCityscapes } from './layouts-files';
export type { VocOptions, CityscapesOptions } from './layouts-files';
export { embeddedScenes } from './scenes-files';
export type { EmbeddedSceneOptions } from './scenes-files';
// Importing this entry registers the segmentation datasets (they read files).
export { scenesDatasetOptions, defineFolderDataset } from './dataset-definitions';
