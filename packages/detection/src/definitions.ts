/**
 * The `fasterrcnn` model configs can name, registered in core's models registry when the
 * package is imported (anywhere).
 */
import { PerturbError, defineModel } from '@perturb/core';
import { FasterRcnn } from './faster-rcnn';
import { fasterRcnnOptionsSchema } from './faster-rcnn-options';

defineModel({
  name: 'fasterrcnn',
  summary:
    'Faster R-CNN with an FPN on a ResNet (RPN, RoIAlign, two-layer box head); sites stem, layer1–4, fpn, rpn, roi',
  schema: fasterRcnnOptionsSchema,
  create: (options, { numClasses, inputShape, rng }) => {
    const [height, width, inChannels] = inputShape;
    const model = new FasterRcnn({ ...options, rng, numClasses, inChannels });
    if (height % model.sizeMultiple !== 0 || width % model.sizeMultiple !== 0) {
      model.dispose();
      throw new PerturbError(
        `fasterrcnn needs image sides that are multiples of its coarsest pyramid stride ${model.sizeMultiple}, but the dataset's images are ${height}×${width}`,
        `choose a dataset size (or padTo) that is a multiple of ${model.sizeMultiple}, or the cifar stem (half the stride)`,
      );
    }
    return model;
  },
});

export { fasterRcnnOptionsSchema };
