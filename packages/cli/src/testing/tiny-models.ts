/** Dense models small enough to train a step on 64×64 scenes in a moment, as configs name their options. */

/** A DeepLabV3+ (`deeplabv3plus`) of one block per stage and a few channels. */
export const TINY_DEEPLAB = {
  backbone: 'resnet18',
  blocks: [1, 1, 1, 1],
  width: 4,
  channels: 8,
  lowLevelChannels: 4,
  stem: 'cifar',
  outputStride: 8,
};

/** A Faster R-CNN (`fasterrcnn`) as small: its `tiny` preset (few channels, proposals and RoIs). */
export const TINY_FASTER_RCNN = { preset: 'tiny' };
