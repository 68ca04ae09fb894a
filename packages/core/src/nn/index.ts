export { Conv2d } from './conv2d';
export type { Conv2dOptions } from './conv2d';
export { Linear } from './linear';
export { BatchNorm2d } from './batchnorm';
export type { BatchNorm2dOptions } from './batchnorm';
export { heNormal, fanInUniform } from './init';
export { channelSums, channelMeans, channelAffine } from './channelwise';
export { ConvBnAct, Sequence, RESNET_BACKBONES, resnetStages, spaceToDepth, depthToSpace } from './resnet';
export type { ResNetLayer, ResNetBackbone, ResNetStem, ResNetStagesOptions, ResNetStage } from './resnet';
