// `@perturb/detection/node`: detection datasets from files (Node).
export { loadCocoDetection, loadVocDetection } from './dataset-files';
export type { VocLoadOptions } from './dataset-files';
