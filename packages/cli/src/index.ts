export {
  resolveConfig,
  readConfigFile,
  configFingerprint,
  DEFAULT_CONFIG,
  trainConfigSchema,
  augmenterEntrySchema,
} from './config';
export { compareConfigSchema } from './compare-config';
export { CONFIG_SCHEMAS, configJsonSchema } from './json-schema';
export { pluginsSchema, resolvePlugins, loadPlugins, readConfigWithPlugins } from './plugins';
export { listRegistered } from './list';
export type { TrainConfig, AugmenterConfig } from './config';
export type { RawSettings } from './settings';
export { runTrain, loadSplits, buildModel } from './run-train';
export type { TrainRunResult, DataSettings } from './run-train';
export type { CodeProvenance } from './code-provenance';
export type { AugmentationDiagnostics } from './diagnostics';
export { AugmenterBuilder, buildAugmenters } from './augmenter-registry';
export { readCompareConfig, runCompare, gridRuns, planGrid, localExecutor, SHARED } from './compare';
export { parseDevices } from './devices';
export type { CompareConfig, GridRun, CompareOptions, GridExecutor, GridPlan, RunFailure } from './compare';
export { queueExecutor, parseQueueUrl, DEFAULT_ATTEMPTS } from './queue';
export type { EnqueueOptions, RunProgress } from './queue';
export { startWorker, DEFAULT_LOCK_DURATION_MS, DEFAULT_STALLED_INTERVAL_MS } from './worker';
export type { WorkerOptions, RunningWorker } from './worker';
export { resolveFlowConfig, DEFAULT_FLOW_CONFIG, flowConfigSchema } from './flow-config';
export type { TrainFlowConfig } from './flow-config';
export { runTrainFlow } from './run-train-flow';
export { resolveVaeGanTrainingConfig, DEFAULT_VAEGAN_CONFIG, vaeganConfigSchema } from './vaegan-config';
export type { TrainVaeGanConfig } from './vaegan-config';
export { runTrainVaeGan } from './run-train-vaegan';
export type { TrainVaeGanRunResult, TrainVaeGanOptions } from './run-train-vaegan';
export { writeCompareReport } from './report';
export { runEval } from './run-eval';
export type { EvalRunOptions, EvalRunResult, EvalRunCommon } from './run-eval';
export type { DenseEvaluation, DenseAttackEvaluation } from './test-scores';
export { runPredict, predictOptionsSchema, PREDICTIONS_FILE } from './run-predict';
export type { PredictOptions, PredictResult, PredictCommon } from './run-predict';
export type {
  ClassPrediction,
  ClassProbability,
  SegmentPrediction,
  DetectedImage,
  CocoDetection,
} from './predict-tasks';
export type { ModelData } from './task-data';
export { demoConfig, runDemo } from './demo';
