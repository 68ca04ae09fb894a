export { FlowLayer, Sequential } from './flow-layer';
export type { FlowForward, FlowInverse } from './flow-layer';
export { ActNorm } from './actnorm';
export { InvConv1x1, InvConv1x1LU } from './invconv';
export { AffineCoupling, AdditiveCoupling, CouplingNet, ZeroConv2d } from './coupling';
export type {
  AffineCouplingOptions,
  CouplingOptions,
  CouplingNetOptions,
  ScaleForm,
  SubnetKind,
} from './coupling';
export type { ConvGradients } from './conv';
export { Squeeze } from './squeeze';
export { SplitPrior, TopPrior, gaussianLogProb, gaussianSample, standardize, unstandardize } from './priors';
export type { Gaussian, PriorKind } from './priors';
export { dequantize } from './dequantize';
export type { DequantizeOptions } from './dequantize';
export { Glow } from './glow';
export type {
  GlowOptions,
  GlowConfig,
  GlowArchitecture,
  GlowEncoding,
  DensityOptions,
  EncodeOptions,
  DecodeOptions,
  LatentSpace,
  SampleOptions,
} from './glow';
export { checkFlowLayer } from './check-flow-layer';
export type { CheckFlowLayerOptions, FlowLayerReport } from './check-flow-layer';
export { createFlowOptimizer, flowTrainingStep } from './train-step';
export type { FlowStepOptions, FlowStepResult, OptimizerKind } from './train-step';
export type { ImageArray, ImageSource, FlowBatch } from './data';
export { trainFlow } from './train';
export type {
  TrainFlowOptions,
  FlowTrainingConfig,
  FlowTrainingResult,
  FlowProgress,
  FlowEpochSummary,
} from './train';
export { glowFromCheckpoint } from './load';
export { Permute } from './permute';
export type { DataSpace, DecodeRange } from './data-space';
export { FLOW_PRESETS } from './presets';
export type { FlowPreset, FlowPresetName } from './presets';
export { addTrainingNoise, trainingNoiseSchema } from './training-noise';
export type { TrainingNoise, TrainingNoiseOptions } from './training-noise';
