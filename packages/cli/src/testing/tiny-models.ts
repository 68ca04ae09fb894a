/** Dense models small enough to train a step on 64×64 scenes in a moment, as configs name their options. */

/** A DeepLabV3+ (`deeplabv3plus`) of one block per stage and a few channels: its `tiny` preset. */
export const TINY_DEEPLAB = { preset: 'tiny' };

/** A Faster R-CNN (`fasterrcnn`) as small: its `tiny` preset (few channels, proposals and RoIs). */
export const TINY_FASTER_RCNN = { preset: 'tiny' };
