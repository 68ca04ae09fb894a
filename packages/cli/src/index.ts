export { resolveConfig, readConfigFile, configFingerprint, DEFAULT_CONFIG } from './config';
export type { TrainConfig, AugmenterConfig } from './config';
export { runTrain, loadSplits } from './run-train';
export type { TrainRunResult } from './run-train';
export { AUGMENTERS, buildAugmenters } from './augmenter-registry';
