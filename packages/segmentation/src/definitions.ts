/**
 * The `deeplabv3plus` model configs can name, registered in core's models registry when the
 * package is imported (anywhere). The segmentation datasets, which read files, are registered
 * by `@perturb/segmentation/node` (dataset-definitions.ts).
 */
import { PerturbError, defineModel } from '@perturb/core';
import { DeepLabV3Plus } from './deeplab';
import { deeplabModelOptions } from './deeplab-options';

defineModel({
  name: 'deeplabv3plus',
  summary:
    'DeepLabV3+ on a ResNet (dilated to output stride 8/16, ASPP, decoder); sites stem, layer1–4, aspp, decoder',
  schema: deeplabModelOptions,
  create: (options, { numClasses, inputShape, rng }) => {
    const [height, width, inChannels] = inputShape;
    if (height % options.outputStride !== 0 || width % options.outputStride !== 0) {
      throw new PerturbError(
        `deeplabv3plus with output stride ${options.outputStride} needs image sides that are multiples of it, but the dataset's images are ${height}×${width}`,
        `choose a dataset size (or padTo) that is a multiple of ${options.outputStride}, or a smaller outputStride`,
      );
    }
    return new DeepLabV3Plus({ ...options, rng, numClasses, inChannels });
  },
});

export { deeplabModelOptions };
