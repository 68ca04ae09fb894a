// `@perturb/detection/node`: detection datasets from files (Node). Importing this entry registers
// the `voc2007` and `coco2017` datasets (they read files).
export { loadCocoDetection, loadVocDetection } from './dataset-files';
export type { VocLoadOptions } from './dataset-files';
export { readDetection } from './dataset-definitions';
