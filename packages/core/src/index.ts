// The main entry runs anywhere (Node, browsers, workers): nothing here touches files, threads
// or Node's modules. Those are `./node` (node.ts).
export { PerturbError, check } from './errors';
export {
  initBackend,
  activeBackend,
  BACKEND_ORDER,
  BROWSER_BACKEND_ORDER,
  MAX_WASM_THREADS,
} from './backend';
export type { BackendName, BackendInfo, InitBackendOptions } from './backend';
export { Module } from './module';
export type { StateDict } from './module';
export { Rng } from './rng';
export type { RngState } from './rng';
export { encodeSafetensors, decodeSafetensors } from './safetensors';
export { encodeCheckpoint, decodeCheckpoint, applyCheckpoint, buildFromCheckpoint } from './checkpoint';
export type { Checkpoint, CheckpointContents } from './checkpoint';
export { saveModule, readModule, loadModuleWeights, rebuildModule, MODULE_FORMAT } from './tfio';
export type { ModuleLocation, SavedModule } from './tfio';
export { tensorCountsAcross, assertNoTensorLeak } from './leaks';
export type { LeakCheckOptions } from './leaks';
export type {
  Batch,
  TrainData,
  ForwardOptions,
  Classifier,
  Model,
  ModelOutput,
  BatchLabelMap,
  BatchBoxes,
  DenseTarget,
  StepContext,
  LossTerm,
  LossStage,
  LearnedInputs,
  Augmenter,
} from './plugin';
export { Conv2d, Linear, BatchNorm2d, heNormal, fanInUniform } from './nn';
export type { Conv2dOptions, BatchNorm2dOptions } from './nn';
export { channelSums, channelMeans, channelAffine } from './nn';
export { ConvBnAct, Sequence, RESNET_BACKBONES, resnetStages, spaceToDepth, depthToSpace } from './nn';
export type { ResNetLayer, ResNetBackbone, ResNetStem, ResNetStagesOptions, ResNetStage } from './nn';
export { siteIndex, checkImageChannels, checkImageSides } from './nn';
export { ProgressBar, formatDuration } from './progress';
export type { ProgressBarOptions, ProgressStream, Metrics } from './progress';
export { TinyClassifier } from './testing/tiny-classifier';
export type { TinyClassifierOptions } from './testing/tiny-classifier';
export { crossEntropy, ascentDirection, projectToBall, perturbationNorms } from './adversarial';
export type { ThreatNorm } from './adversarial';
export { classifierPgd, pgd, pgdAugmenterShape, LA_GLOW_PGD } from './pgd';
export type { PgdSteps, AttackMode, PgdSettings, PgdOptions, PgdTarget, AttackedBatch } from './pgd';
export { presetField, withPresets } from './presets';
export type { Presets } from './presets';
export {
  classificationTask,
  taskOf,
  asClassifier,
  batchTensors,
  mapBatch,
  countCorrect,
  concatBatches,
  requireLabelMap,
  requireBoxes,
} from './task';
export type { BatchPart, EvaluationContext, Task, TaskEvaluation, TaskScores } from './task';
export {
  compose,
  checkTargets,
  combinator,
  combineLossStages,
  stepContext,
  childContext,
  choiceStream,
} from './compose';
export type { CombinatorStages } from './compose';
export { z, parseOptions, optionsError, optionKeys, closest, formatPath } from './options';
export {
  Registry,
  augmenters,
  models,
  datasets,
  defineAugmenter,
  defineModel,
  defineDataset,
  createAugmenter,
  augmenterEntry,
  buildAugmenter,
} from './registry';
export type {
  BuildEnvironment,
  AugmenterDefinition,
  AugmenterEntry,
  ModelDefinition,
  ModelContext,
  DatasetDefinition,
} from './registry';
export { imageGridPng } from './image-grid';
export type { ImageGridOptions } from './image-grid';
export { runTrainingLoop, readMetrics } from './training-loop';
export type {
  TrainingLoopOptions,
  TrainingLoopResult,
  LoopPosition,
  LoopState,
  LoopEpochRecord,
  StepOutcome,
  StepProgress,
} from './training-loop';
export { memoryStorage, readText } from './run-storage';
export type { RunStorage } from './run-storage';
